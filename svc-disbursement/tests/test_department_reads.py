"""Nothing of another department, read or written — and a budget top-up carries money, not rules.

- A top-up's ``policy`` registers a placeholder for an unknown code only: a known policy keeps its workflow, four
  eyes, cap, validity and status (so finance cannot switch four eyes off between 初审 and 复审); the catalog replaces
  a placeholder whatever version it claimed; four eyes is frozen onto the application when it is submitted.
- Lists (applications, disbursements, budgets, reconciliation differences, audit entries) hold the caller's
  department's records; a single record of another department is 403 ``other_department`` (audited). Partners (the
  applicant's channels, the public 公示 page's read-only identity), admins and the department itself read as before.
- Staff submit, upload and apply for applicants of their own department's policies and programs only.
- A policy without a department is the admins' alone, for revealing its applications' text too.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from disbursement_testkit import make_uscc
from kunruyi_common.auth import Principal
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_disbursement.policies.consumer import on_policy_event
from kunruyi_disbursement.reconciliation import repository as reconciliation_rows
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_department_rules import (
    DEPT,
    OTHER,
    assert_problem,
    kj,
    pending_disbursement,
    refusals,
    rs,
    step,
    submit,
)
from test_funding_agreements import OFFICER, selected
from test_objections_acceptance import noticed
from test_programs import apply, new_program, post

ADMIN = staff("admin", subject="root")
PUBLIC_NOTICE = Principal(
    kind="partner", subject="gateway-public-notice", name="公示页面", scopes=["disbursement:read"]
)


async def register(
    client, code: str, department: str | None, *, who: Principal | None = None, **rules: Any
) -> Any:  # type: ignore[no-untyped-def]
    policy: dict[str, Any] = {
        "title": f"{department or '无部门'}测试政策",
        "department": department,
        "mode": "application",
        "max_amount_fen": 500_000,
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
        "notice_days": 0,
        **rules,
    }
    finance = who or staff("finance", department=department, subject=f"finance-{department}")
    async with client(finance) as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": f"register-{code}-{uuid.uuid4()}"},
            json={"policy_code": code, "fiscal_year": 2026, "amount_fen": 10_000_000, "policy": policy},
        )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def get(client, who: Principal | None, path: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.get(path, params=params)


async def policy_row(session: AsyncSession, code: str) -> Any:
    return (await session.execute(text("SELECT * FROM policies WHERE code = :c"), {"c": code})).one()


# --- F1: a top-up carries money only --------------------------------------------------------------------------------


async def test_a_top_up_cannot_switch_off_four_eyes_mid_review(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-RULES-4EYES", DEPT)
    before = await policy_row(session, "KS-RULES-4EYES")
    app_id = await submit(client, "KS-RULES-4EYES", 9101)
    a = kj("reviewer", "kj-a")
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    assert (await step(client, a, app_id, "first_review")).status_code == 200
    assert_problem(await step(client, a, app_id, "second_review"), 409, "same_person")

    # The department's finance tops the budget up by 1 fen "with" rules that would drop four eyes, the 复审 stage,
    # the cap, the validity — a newer version, even. The money moves; the rules stay.
    answer = await register(
        client,
        "KS-RULES-4EYES",
        DEPT,
        version=9,
        four_eyes=False,
        review_stages=["accepted", "first_review", "approved"],
        max_amount_fen=999_999_999,
        valid_from=None,
        valid_to=None,
    )
    assert_problem(await step(client, a, app_id, "second_review"), 409, "same_person")
    after = await policy_row(session, "KS-RULES-4EYES")
    for column in (
        "four_eyes",
        "review_stages",
        "max_amount_fen",
        "valid_from",
        "valid_to",
        "version",
        "status",
    ):
        assert getattr(after, column) == getattr(before, column), column
    assert after.four_eyes is True
    assert (await step(client, kj("reviewer", "kj-b"), app_id, "second_review")).status_code == 200
    assert answer["created"] is True and answer["policy_registered"] is False


async def test_four_eyes_is_frozen_onto_the_application_when_submitted(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-RULES-FROZEN", DEPT)
    app_id = await submit(client, "KS-RULES-FROZEN", 9102)
    a = kj("reviewer", "kj-a")
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    assert (await step(client, a, app_id, "first_review")).status_code == 200
    # A later change of the policy (whatever its channel) does not take the second person away from this review.
    await session.execute(text("UPDATE policies SET four_eyes = false WHERE code = 'KS-RULES-FROZEN'"))
    assert_problem(await step(client, a, app_id, "second_review"), 409, "same_person")
    # An application submitted after the change follows it.
    later = await submit(client, "KS-RULES-FROZEN", 9103)
    assert (await step(client, kj("officer"), later, "accepted")).status_code == 200
    assert (await step(client, a, later, "first_review")).status_code == 200
    assert (await step(client, a, later, "second_review")).status_code == 200


async def test_the_catalog_replaces_a_placeholder_whatever_version_it_claimed(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    answer = await register(
        client,
        "KS-RULES-PLACEHOLDER",
        DEPT,
        version=99,
        four_eyes=False,
        review_stages=["accepted", "first_review", "approved"],
        notice_days=0,
    )
    placeholder = await policy_row(session, "KS-RULES-PLACEHOLDER")
    assert (placeholder.source, placeholder.four_eyes, placeholder.version) == ("local", False, 99)
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="policy",
        type="kunruyi.policy.policy.published",
        subject="KS-RULES-PLACEHOLDER",
        data={
            "code": "KS-RULES-PLACEHOLDER",
            "title": "目录中的政策",
            "department": DEPT,
            "mode": "application",
            "version": 1,
            "max_amount_fen": 300_000,
            "status": "published",
        },
    )
    await on_policy_event(session, event)
    catalog = await policy_row(session, "KS-RULES-PLACEHOLDER")
    assert (catalog.source, catalog.version, catalog.title) == ("event", 1, "目录中的政策")
    assert catalog.four_eyes is True and catalog.review_stages is None and catalog.notice_days == 5
    assert catalog.max_amount_fen == 300_000
    assert answer["policy_registered"] is True


# --- F2: reads ------------------------------------------------------------------------------------------------------


async def test_staff_read_only_their_departments_money_records(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-READ-KJ", DEPT)
    await register(client, "KS-READ-RS", OTHER)
    kj_app = await submit(client, "KS-READ-KJ", 9201)
    rs_app = await submit(client, "KS-READ-RS", 9202)
    async with client(partner("disbursement:write")) as c:
        upload = await c.post(
            f"/api/v1/applications/{kj_app}/attachments",
            files={"file": ("营业执照.pdf", b"%PDF-1.7 kj", "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
    attachment = upload.json()["id"]
    kj_pay = await pending_disbursement(session, "KS-READ-KJ", 9203, DEPT)
    rs_pay = await pending_disbursement(session, "KS-READ-RS", 9204, OTHER)

    # A 人社局 reviewer asking for the 科技局 policy's applications gets none; without a filter, 人社局's only.
    listed = await get(client, rs("reviewer"), "/api/v1/applications", policy_code="KS-READ-KJ")
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    ids = {
        i["id"]
        for i in (await get(client, rs("reviewer"), "/api/v1/applications", limit=200)).json()["items"]
    }
    assert rs_app in ids and kj_app not in ids
    # A single 科技局 record — the application (steps, objections, material list), its material, a disbursement.
    for who, path in [
        (rs("reviewer"), f"/api/v1/applications/{kj_app}"),
        (rs("reviewer"), f"/api/v1/applications/{kj_app}/attachments/{attachment}"),
        (rs("approver"), f"/api/v1/disbursements/{kj_pay}"),
    ]:
        assert_problem(await get(client, who, path), 403, "other_department")
    assert await refusals(session, kj_app) == [
        ("rs-reviewer", "other_department", "application.read"),
        ("rs-reviewer", "other_department", "application.read"),
    ]
    assert await refusals(session, kj_pay) == [("rs-approver", "other_department", "disbursement.read")]
    paid = {
        i["id"]
        for i in (await get(client, rs("approver"), "/api/v1/disbursements", limit=200)).json()["items"]
    }
    assert rs_pay in paid and kj_pay not in paid
    budgets = (await get(client, rs("finance"), "/api/v1/budgets", limit=200)).json()["items"]
    assert {b["policy_code"] for b in budgets} >= {"KS-READ-RS"} and "KS-READ-KJ" not in {
        b["policy_code"] for b in budgets
    }
    assert (await get(client, rs("finance"), "/api/v1/budgets", policy_code="KS-READ-KJ")).json()[
        "items"
    ] == []

    # The department itself, admins, the applicant's channel (a partner) and the public 公示 page's identity read on.
    for who in (kj("reviewer"), ADMIN, partner("disbursement:read")):
        assert (await get(client, who, f"/api/v1/applications/{kj_app}")).status_code == 200
        assert (
            await get(client, who, f"/api/v1/applications/{kj_app}/attachments/{attachment}")
        ).content == b"%PDF-1.7 kj"
    for who in (kj("approver"), ADMIN):
        assert (await get(client, who, f"/api/v1/disbursements/{kj_pay}")).status_code == 200
    for who in (ADMIN, partner("disbursement:read"), PUBLIC_NOTICE):
        ids = {i["id"] for i in (await get(client, who, "/api/v1/applications", limit=200)).json()["items"]}
        assert {kj_app, rs_app} <= ids
    kj_budgets = {
        b["policy_code"] for b in (await get(client, kj("finance"), "/api/v1/budgets")).json()["items"]
    }
    assert "KS-READ-KJ" in kj_budgets and "KS-READ-RS" not in kj_budgets
    # Staff whose token names no department see no department's records.
    nobody = staff("reviewer", subject="no-department")
    assert (await get(client, nobody, "/api/v1/applications")).json()["items"] == []

    # The audit log: a department's finance reads the entries about its own records, admins every entry.
    about_kj = await get(client, rs("finance"), "/api/v1/audit/entries", entity_id=kj_app)
    assert about_kj.status_code == 200 and about_kj.json()["items"] == []
    mine = await get(client, kj("finance"), "/api/v1/audit/entries", entity_id=kj_app)
    assert [e["data"]["refused"] for e in mine.json()["items"]] == ["application.read", "application.read"]
    budget_entries = await get(
        client, kj("finance"), "/api/v1/audit/entries", entity_type="budget", limit=200
    )
    assert {e["entity_id"] for e in budget_entries.json()["items"]} >= {"budget:KS-READ-KJ:2026"}
    assert "budget:KS-READ-RS:2026" not in {e["entity_id"] for e in budget_entries.json()["items"]}
    everything = await get(client, ADMIN, "/api/v1/audit/entries", action="access.refused", limit=200)
    assert {kj_app, kj_pay} <= {e["entity_id"] for e in everything.json()["items"]}


async def test_a_departments_finance_sees_the_run_whole_and_only_its_own_differences(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-RECON-KJ", DEPT)
    await register(client, "KS-RECON-RS", OTHER)
    kj_pay = await pending_disbursement(session, "KS-RECON-KJ", 9301, DEPT)
    rs_pay = await pending_disbursement(session, "KS-RECON-RS", 9302, OTHER)
    references = {
        str(r.id): str(r.reservation_id)
        for r in (
            await session.execute(
                text("SELECT id, reservation_id FROM disbursements WHERE id IN (:a, :b)"),
                {"a": kj_pay, "b": rs_pay},
            )
        ).all()
    }
    bank_only = str(uuid.uuid4())
    mismatches = [
        {
            "kind": "missing_in_bank",
            "reference": references[kj_pay],
            "ledger_amount_fen": 100_000,
            "bank_amount_fen": None,
        },
        {
            "kind": "missing_in_bank",
            "reference": references[rs_pay],
            "ledger_amount_fen": 100_000,
            "bank_amount_fen": None,
        },
        {
            "kind": "missing_in_ledger",
            "reference": bank_only,
            "ledger_amount_fen": None,
            "bank_amount_fen": 5_000,
        },
    ]
    run_id = uuid.uuid4()
    report = {
        "id": str(run_id),
        "statement_date": "2026-03-02",
        "ok": False,
        "matched": 4,
        "missing_in_ledger": 1,
        "missing_in_bank": 2,
        "amount_mismatch": 0,
        "bank_total_fen": 905_000,
        "ledger_total_fen": 1_100_000,
        "mismatches": mismatches,
    }
    await reconciliation_rows.insert_run(
        session,
        {
            "id": run_id,
            "statement_date": date(2026, 3, 2),
            "matched": 4,
            "missing_in_ledger": 1,
            "missing_in_bank": 2,
            "amount_mismatches": 0,
            "report": report,
            "created_by": "system",
        },
    )

    def the_run(body: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = next(r for r in body["items"] if r["id"] == str(run_id))
        return found

    rs_view = the_run((await get(client, rs("finance"), "/api/v1/reconciliation/runs", limit=100)).json())
    # The run's totals and counts are the whole day's; the differences shown are 人社局's and the bank-only money.
    assert (rs_view["missing_in_bank"], rs_view["missing_in_ledger"], rs_view["bank_total_fen"]) == (
        2,
        1,
        905_000,
    )
    assert {m["reference"] for m in rs_view["mismatches"]} == {references[rs_pay], bank_only}
    assert rs_view["other_departments"] == 1
    admin_view = the_run((await get(client, ADMIN, "/api/v1/reconciliation/runs", limit=100)).json())
    assert len(admin_view["mismatches"]) == 3 and admin_view["other_departments"] == 0
    assert {m["policy_code"] for m in admin_view["mismatches"]} == {"KS-RECON-KJ", "KS-RECON-RS", None}


# --- F3: acting for an applicant ------------------------------------------------------------------------------------


async def test_staff_act_for_applicants_of_their_own_department_only(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-ACT-KJ", DEPT)
    body = {
        "policy_code": "KS-ACT-KJ",
        "applicant_type": "enterprise",
        "applicant_id": make_uscc(9401),
        "period": "2026",
        "amount_fen": 200_000,
    }
    async with client(rs("officer")) as c:
        refused = await c.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "rs-submit"})
    assert_problem(refused, 403, "other_department")
    assert await refusals(session, "KS-ACT-KJ") == [("rs-officer", "other_department", "application.submit")]
    count = "SELECT count(*) FROM applications WHERE policy_code = 'KS-ACT-KJ'"
    assert (await session.execute(text(count))).scalar_one() == 0
    async with client(kj("officer")) as c:
        created = await c.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "rs-submit"})
    assert created.status_code == 201, created.text  # the refused request left no Idempotency-Key behind
    app_id = created.json()["id"]

    files = {"file": ("补充材料.pdf", b"%PDF-1.7 more", "application/pdf")}
    async with client(rs("officer")) as c:
        assert_problem(
            await c.post(f"/api/v1/applications/{app_id}/attachments", files=files), 403, "other_department"
        )
    attachments = "SELECT count(*) FROM application_attachments WHERE application_id = :a"
    assert (await session.execute(text(attachments), {"a": app_id})).scalar_one() == 0
    for who in (kj("officer"), partner("disbursement:write")):
        async with client(who) as c:
            assert (
                await c.post(f"/api/v1/applications/{app_id}/attachments", files=files)
            ).status_code == 201
    assert await refusals(session, app_id) == [("rs-officer", "other_department", "application.attachment")]

    # A talent program's call: 人社局's officer cannot apply for a talent to 科技局's program; 科技局's and partners can.
    _, call_id = await new_program(client)
    application = {
        "applicant_id": f"talent-act-{call_id[:8]}",
        "applicant_name": "林一",
        "company_uscc": make_uscc(9402),
        "company_name": "昆山林一科技有限公司",
        "category": "A",
        "funding_level": "L1",
        "requested_amount_fen": 100_000_000,
        "plan": "样机",
    }
    path = f"/api/v1/program-calls/{call_id}/applications"
    assert_problem(await post(client, rs("officer"), path, application), 403, "other_department")
    assert (await post(client, kj("officer"), path, application)).status_code == 201
    assert (await apply(client, call_id, "partner-applied", 9403)).status_code == 201


# --- F4: a talent program's single records --------------------------------------------------------------------------


async def test_a_programs_single_records_are_its_departments_and_its_panels(client) -> None:  # type: ignore[no-untyped-def]
    call_id, ids = await selected(client, [("x", 9501, "A")])
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/program-applications/{ids['x']}/agreement",
        {"tranches": [{"milestone": "company_registered", "amount_fen": 1_000_000}]},
    )
    assert resp.status_code == 201, resp.text
    agreement_id = resp.json()["id"]
    notice_call, named = await noticed(client, ["y"])
    objection = await post(
        client,
        None,  # type: ignore[arg-type]
        f"/api/v1/program-notices/{notice_call}/objections",
        {"application_id": named["y"], "reason": "不在昆山经营"},
    )
    assert objection.status_code == 201, objection.text
    reads = [
        f"/api/v1/program-applications/{ids['x']}",
        f"/api/v1/program-calls/{call_id}/agreements",
        f"/api/v1/funding-agreements/{agreement_id}",
        f"/api/v1/program-objections/{objection.json()['id']}",
    ]
    for path in reads:
        assert_problem(await get(client, rs("reviewer"), path), 403, "other_department")
        for who in (kj("reviewer"), ADMIN, partner("disbursement:read")):
            assert (await get(client, who, path)).status_code == 200, path
    # The expert who judged the application (on the call's panel) reads it.
    assert (await get(client, kj("reviewer", "kj-expert"), reads[0])).status_code == 200


# --- F7: a policy without a department ------------------------------------------------------------------------------


async def test_a_policy_without_a_department_is_revealed_by_admins_only(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register(client, "KS-NO-DEPT", None, who=staff("admin", subject="root-finance"))
    app_id = await submit(client, "KS-NO-DEPT", 9601)
    for who in (kj("reviewer"), rs("reviewer")):
        async with client(who) as c:
            refused = await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "核对"})
            assert_problem(refused, 403, "other_department")
            assert_problem(await c.get(f"/api/v1/applications/{app_id}/reveals"), 403, "other_department")
    async with client(staff("admin", "reviewer", subject="root")) as c:
        assert (
            await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "核对"})
        ).status_code == 200
    assert [r[2] for r in await refusals(session, app_id)] == ["application.reveal_free_text"] * 4
