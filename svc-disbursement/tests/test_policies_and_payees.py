from __future__ import annotations

import uuid

from disbursement_testkit import make_uscc
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_disbursement.policies.consumer import on_policy_event
from kunruyi_launcher.testing import partner, staff
from sqlalchemy.ext.asyncio import AsyncSession


def _broken_uscc() -> str:
    valid = make_uscc(7004)
    return valid[:-1] + ("0" if valid[-1] != "0" else "1")


def policy_event(kind: str, version: int, **data: object) -> CloudEvent:
    return CloudEvent(
        source="policy",
        type=f"kunruyi.policy.policy.{kind}",
        data={
            "code": "KS-EVT-001",
            "title": "人才安居补贴",
            "department": "人社局",
            "mode": "application",
            "beneficiary": "enterprise",
            "version": version,
            "annual_budget_fen": 10_000_000,
            "max_amount_fen": 200_000,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "status": "published",
            **data,
        },
    )


async def test_policy_read_model_follows_catalog_events(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await on_policy_event(session, policy_event("published", 2))
    await on_policy_event(session, policy_event("version_added", 1, max_amount_fen=1))  # older: ignored
    body = {
        "policy_code": "KS-EVT-001",
        "applicant_type": "enterprise",
        "applicant_id": make_uscc(7001),
        "period": "2026-Q2",
        "amount_fen": 200_000,
    }
    async with client(partner("disbursement:write")) as c:
        assert (await c.post("/api/v1/applications", json=body)).status_code == 201
        await on_policy_event(session, policy_event("suspended", 3))
        suspended = await c.post("/api/v1/applications", json={**body, "applicant_id": make_uscc(7002)})
    assert suspended.status_code == 422 and suspended.json()["code"] == "policy_not_open"


async def test_payee_account_is_validated_and_never_shown(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance")) as c:
        bad = await c.post(
            "/api/v1/payees",
            json={
                "entity_type": "enterprise",
                "entity_id": make_uscc(7003),
                "account_name": "某公司",
                "account_number": "12ab5678901",
                "bank_name": "某银行",
            },
        )
        bad_uscc = await c.post(
            "/api/v1/payees",
            json={
                "entity_type": "enterprise",
                "entity_id": _broken_uscc(),
                "account_name": "某公司",
                "account_number": "6222021234567890123",
                "bank_name": "某银行",
            },
        )
    async with client(staff("officer")) as c:
        forbidden = await c.post(
            "/api/v1/payees",
            json={
                "entity_type": "talent",
                "entity_id": str(uuid.uuid4()),
                "account_name": "张三",
                "account_number": "6222021234567890123",
                "bank_name": "某银行",
            },
        )
    assert bad.status_code == 422 and bad.json()["field"] == "account_number"
    assert bad_uscc.status_code == 422 and bad_uscc.json()["field"] == "entity_id"
    assert forbidden.status_code == 403


async def test_disbursement_list_pages_with_a_cursor(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_disbursement.disbursements.service import create_disbursement

    for i in range(5):
        await create_disbursement(
            session,
            mode="automatic",
            policy_code="KS-PAGE",
            policy_version=1,
            department=None,
            district=None,
            entity_type="enterprise",
            entity_id="E-PAGE",
            period=f"2026-0{i + 1}",
            amount_fen=100,
            entitlement_id=f"page-{i}",
            approved_by="x",
            needs_approval=True,
        )
    seen: list[str] = []
    cursor = None
    # Disbursements of a policy without a department: the admins' alone (a department's staff see their own).
    async with client(staff("officer", "admin")) as c:
        for _ in range(5):
            params = {"entity_id": "E-PAGE", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await c.get("/api/v1/disbursements", params=params)).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert (await c.get("/api/v1/disbursements", params={"cursor": "garbage"})).status_code == 422
    async with client(partner("other:scope")) as c:
        assert (await c.get("/api/v1/disbursements", params={"entity_id": "E-PAGE"})).status_code == 403
    assert len(seen) == 5 and len(set(seen)) == 5


async def test_payee_registration_replays_by_idempotency_key(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    body = {
        "entity_type": "enterprise",
        "entity_id": make_uscc(7005),
        "account_name": "某公司",
        "account_number": "6222021234567890123",
        "bank_name": "某银行",
    }
    async with client(partner("disbursement:write")) as c:
        first = await c.post("/api/v1/payees", json=body, headers={"Idempotency-Key": "payee-1"})
        again = await c.post("/api/v1/payees", json=body, headers={"Idempotency-Key": "payee-1"})
        other = await c.post(
            "/api/v1/payees",
            json={**body, "account_number": "6222021234567890124"},
            headers={"Idempotency-Key": "payee-1"},
        )
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert other.status_code == 409
    stored = (await session.execute(text("SELECT request_hash, response::text FROM idempotency_keys"))).all()
    assert all("6222021234567890123" not in row.response for row in stored)


async def test_review_stages_and_notice_days_come_from_the_catalog_events(session: AsyncSession) -> None:
    """svc-policy owns how an item is reviewed; its events carry the stages and 公示 days, an older event without
    them keeps what is stored, and an `updated` event (catalog edit, same version) applies."""
    from kunruyi_disbursement.applications.workflow import workflow_of
    from kunruyi_disbursement.policies.service import get_policy

    await on_policy_event(
        session, policy_event("published", 1, review_stages=["accepted", "approved"], notice_days=0)
    )
    policy = await get_policy(session, "KS-EVT-001")
    assert workflow_of(policy) == ["accepted", "approved", "paid"] and policy.notice_days == 0

    await on_policy_event(
        session, policy_event("version_added", 2)
    )  # an event from before the guide travelled
    policy = await get_policy(session, "KS-EVT-001")
    assert workflow_of(policy) == ["accepted", "approved", "paid"] and policy.notice_days == 0

    await on_policy_event(
        session,
        policy_event(
            "updated",
            2,
            review_stages=["accepted", "first_review", "second_review", "public_notice", "approved"],
            notice_days=7,
        ),
    )
    policy = await get_policy(session, "KS-EVT-001")
    assert policy.notice_days == 7
    assert workflow_of(policy) == [
        "accepted",
        "first_review",
        "second_review",
        "public_notice",
        "approved",
        "paid",
    ]
