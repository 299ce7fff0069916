"""Names, not codes: the lists staff read carry the company's or talent's name and the policy's title beside the
codes, from read models of the registry and catalog events (one query per page, never a call per row). Callers
other than staff see a talent's family name only; a late, older registry event never brings back an old name."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from disbursement_testkit import make_uscc
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_disbursement.directory.consumer import on_enterprise, on_person
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.policies.consumer import on_policy_event
from kunruyi_launcher.testing import partner, staff
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TALENT = str(uuid.uuid5(uuid.NAMESPACE_URL, "kunruyi-test-names-talent"))


def registry(kind: str, at: datetime, **data: object) -> CloudEvent:
    return CloudEvent(source="talent", type=f"kunruyi.talent.{kind}", time=at, data=data)


async def policy(session: AsyncSession, code: str, title: str) -> None:
    await on_policy_event(
        session,
        CloudEvent(
            source="policy",
            type="kunruyi.policy.policy.published",
            data={
                "code": code,
                "title": title,
                "department": "人社局",
                "mode": "application",
                "beneficiary": "talent",
                "version": 1,
                "annual_budget_fen": 10_000_000,
                "max_amount_fen": 500_000,
                "valid_from": "2026-01-01",
                "status": "published",
            },
        ),
    )


async def test_lists_carry_names_and_titles_and_mask_talent_names_for_partners(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7301)
    await policy(session, "KS-NAME-001", "青年人才生活补贴")
    await on_enterprise(
        session, registry("enterprise.registered", NOW, uscc=uscc, name="昆山名录科技有限公司")
    )
    await on_person(session, registry("person.registered", NOW, talent_id=TALENT, name="欧阳明"))
    # an older event arriving late keeps the newer name
    await on_person(
        session, registry("person.updated", NOW - timedelta(days=1), talent_id=TALENT, name="旧名")
    )

    body = {
        "policy_code": "KS-NAME-001",
        "applicant_type": "talent",
        "applicant_id": TALENT,
        "period": "2026",
        "amount_fen": 300_000,
    }
    async with client(partner("disbursement:write", "disbursement:read")) as c:
        created = await c.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        as_partner = (await c.get("/api/v1/applications", params={"policy_code": "KS-NAME-001"})).json()[
            "items"
        ]
    async with client(staff("officer", department="人社局")) as c:
        as_staff = (await c.get("/api/v1/applications", params={"policy_code": "KS-NAME-001"})).json()[
            "items"
        ]
        detail = (await c.get(f"/api/v1/applications/{created.json()['id']}")).json()
    assert as_staff[0]["applicant_name"] == "欧阳明" and as_staff[0]["policy_title"] == "青年人才生活补贴"
    assert detail["applicant_name"] == "欧阳明" and detail["policy_title"] == "青年人才生活补贴"
    assert as_partner[0]["applicant_name"] == "欧**", "a partner sees the family name only"

    await create_disbursement(
        session,
        mode="application",
        policy_code="KS-NAME-001",
        policy_version=1,
        department="人社局",
        district=None,
        entity_type="enterprise",
        entity_id=uscc,
        period="2026",
        amount_fen=200_000,
        approved_by="approver-1",
        needs_approval=True,
    )
    unknown = make_uscc(7302)
    await create_disbursement(
        session,
        mode="application",
        policy_code="KS-NAME-001",
        policy_version=1,
        department="人社局",
        district=None,
        entity_type="enterprise",
        entity_id=unknown,
        period="2026",
        amount_fen=100_000,
        needs_approval=True,
    )
    async with client(staff("finance", department="人社局")) as c:  # the policy's department
        rows = (await c.get("/api/v1/disbursements", params={"policy_code": "KS-NAME-001"})).json()["items"]
    names = {r["entity_id"]: (r["entity_name"], r["policy_title"]) for r in rows}
    assert names[uscc] == ("昆山名录科技有限公司", "青年人才生活补贴")
    assert names[unknown] == (None, "青年人才生活补贴"), (
        "a company the registry has not announced has no name yet"
    )


async def test_the_report_by_policy_carries_the_title_in_json_and_xlsx(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await policy(session, "KS-NAME-002", "技能人才岗位补贴")
    paid = await create_disbursement(
        session,
        mode="application",
        policy_code="KS-NAME-002",
        policy_version=1,
        department="人社局",
        district=None,
        entity_type="enterprise",
        entity_id=make_uscc(7303),
        period="2026",
        amount_fen=100_000,
        needs_approval=True,
    )
    # as the bank's settlement would leave it
    await session.execute(
        text("UPDATE disbursements SET status = 'settled', settled_at = now() WHERE id = :id"),
        {"id": paid.id},
    )
    async with client(staff("finance")) as c:
        report = (await c.get("/api/v1/reports/disbursements", params={"group_by": "policy"})).json()
        book = await c.get("/api/v1/reports/disbursements", params={"group_by": "policy", "format": "xlsx"})
    row = next(i for i in report["items"] if i["key"] == "KS-NAME-002")
    assert row["title"] == "技能人才岗位补贴"
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    table = [[c.value for c in r] for r in sheet.iter_rows()]
    assert table[0][:2] == ["政策", "政策名称"]
    assert ["KS-NAME-002", "技能人才岗位补贴"] in [r[:2] for r in table]
