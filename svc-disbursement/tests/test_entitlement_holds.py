"""免申即享 is paid without a person only when nothing is unusual: an entitlement above the policy's cap, or for a
policy suspended since it was determined, waits in the approver's queue instead (both intake paths)."""

from __future__ import annotations

import uuid

from disbursement_testkit import make_uscc
from kunruyi_common.context import using_settings
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_disbursement.disbursements.batch import intake_entitlements
from kunruyi_disbursement.disbursements.consumer import on_entitlement_determined
from kunruyi_disbursement.disbursements.service import EntitlementDetermined
from kunruyi_disbursement.policies.consumer import on_policy_event
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

AUTO_MAX = 5_000_000


def catalog_event(kind: str, code: str, *, max_amount_fen: int | None) -> CloudEvent:
    return CloudEvent(
        source="policy",
        type=f"kunruyi.policy.policy.{kind}",
        data={
            "code": code,
            "title": "免申即享测试政策",
            "department": "科技局",
            "mode": "automatic",
            "beneficiary": "enterprise",
            "version": 1,
            "annual_budget_fen": 100_000_000,
            "max_amount_fen": max_amount_fen,
            "valid_from": "2026-01-01",
            "valid_to": None,
            "status": "published",
        },
    )


def entitlement(code: str, entity: str, amount_fen: int) -> EntitlementDetermined:
    return EntitlementDetermined(
        entitlement_id=str(uuid.uuid4()),
        policy_code=code,
        version=1,
        period="2026",
        entity_type="enterprise",
        entity_id=entity,
        amount_fen=amount_fen,
    )


async def fund(client, code: str) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            json={"policy_code": code, "fiscal_year": 2026, "amount_fen": 10_000_000},
            headers={"Idempotency-Key": f"fund-{code}"},
        )
        assert resp.status_code == 201, resp.text


async def statuses(client, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with client(staff("approver", department="科技局")) as c:
        resp = await c.get("/api/v1/disbursements", params={"policy_code": code, "limit": 50})
        assert resp.status_code == 200, resp.text
    return {i["entity_id"]: i["status"] for i in resp.json()["items"]}


async def test_batched_intake_holds_over_cap_and_suspended_policies(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await on_policy_event(session, catalog_event("published", "KS-HOLD-CAP", max_amount_fen=100_000))
    await on_policy_event(session, catalog_event("published", "KS-HOLD-SUSP", max_amount_fen=None))
    await fund(client, "KS-HOLD-CAP")
    await fund(client, "KS-HOLD-SUSP")
    await on_policy_event(session, catalog_event("suspended", "KS-HOLD-SUSP", max_amount_fen=None))
    within, over, suspended = make_uscc(8101), make_uscc(8102), make_uscc(8103)
    counts = await intake_entitlements(
        session,
        [
            entitlement("KS-HOLD-CAP", within, 100_000),
            entitlement("KS-HOLD-CAP", over, 100_001),
            entitlement("KS-HOLD-SUSP", suspended, 100),
        ],
        auto_approve_max_fen=AUTO_MAX,
    )
    # The batch consumer's unit of work commits; the audit entries are written at its commit.
    await session.commit()
    assert counts == {"created": 3, "reserved": 1, "awaiting_budget": 0, "pending_approval": 2}
    assert await statuses(client, "KS-HOLD-CAP") == {within: "reserved", over: "pending_approval"}
    assert await statuses(client, "KS-HOLD-SUSP") == {suspended: "pending_approval"}
    holds = (
        await session.execute(
            text(
                "SELECT data ->> 'hold' FROM audit_log WHERE action = 'disbursement.queued_for_approval' "
                "ORDER BY seq"
            )
        )
    ).scalars()
    assert sorted(h for h in holds if h) == ["over_policy_cap", "policy_not_in_force"]


async def test_one_by_one_consumer_holds_the_same_way(
    client, session: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    await on_policy_event(session, catalog_event("published", "KS-HOLD-ONE", max_amount_fen=50_000))
    await fund(client, "KS-HOLD-ONE")
    within, over = make_uscc(8201), make_uscc(8202)
    for entity, amount in ((within, 50_000), (over, 50_001)):
        event = CloudEvent(
            source="policy",
            type="kunruyi.policy.entitlement.determined",
            data=entitlement("KS-HOLD-ONE", entity, amount).model_dump(),
        )
        # The consumer gives its handlers the app's settings; here the test does.
        with using_settings(settings):
            await on_entitlement_determined(session, event)
    assert await statuses(client, "KS-HOLD-ONE") == {within: "reserved", over: "pending_approval"}


async def test_a_supplement_is_held_when_the_period_would_pass_the_cap(
    client, session: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    """补充认定 through the one-by-one consumer: the supplement is its own disbursement, once however often it comes;
    one that would take the period's total past the policy's cap waits for an approver."""
    await on_policy_event(session, catalog_event("published", "KS-HOLD-SUP", max_amount_fen=50_000))
    await fund(client, "KS-HOLD-SUP")
    company = make_uscc(8301)
    original = entitlement("KS-HOLD-SUP", company, 30_000)
    first = original.model_copy(
        update={"entitlement_id": str(uuid.uuid4()), "amount_fen": 15_000, "sequence": 1},
    )
    second = original.model_copy(
        update={"entitlement_id": str(uuid.uuid4()), "amount_fen": 10_000, "sequence": 2},
    )
    first.supplement_of = second.supplement_of = original.entitlement_id
    for data in (original, first, first, first, second):
        event = CloudEvent(
            source="policy", type="kunruyi.policy.entitlement.determined", data=data.model_dump()
        )
        with using_settings(settings):
            await on_entitlement_determined(session, event)
    rows = (
        await session.execute(
            text(
                "SELECT sequence, amount_fen, status, supplement_of FROM disbursements WHERE entity_id = :e "
                "ORDER BY sequence"
            ),
            {"e": company},
        )
    ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (0, 30_000, "reserved"),
        (1, 15_000, "reserved"),  # 4.5万 of the 5万 cap
        (2, 10_000, "pending_approval"),  # 5.5万 would pass it
    ]
    assert rows[1][3] == rows[2][3] == original.entitlement_id
