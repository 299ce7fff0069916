"""Money moves only by the policy's department, and by four eyes.

Every step of an application, the approval, rejection and reissue of a disbursement and a budget top-up are refused
to staff of another department (403 ``other_department``; admins pass); 初审 and 复审 are two people and 审定 a third
(409 ``same_person``, unless the policy turns four eyes off). Every refusal is in the hash-chained audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from disbursement_testkit import make_uscc
from kunruyi_common.auth import Principal
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEPT = "科技局"
OTHER = "人社局"


def kj(role: str, subject: str | None = None) -> Principal:
    """Staff of the policy's department (科技局); each subject a different person."""
    return staff(role, department=DEPT, subject=subject or f"kj-{role}")


def rs(role: str) -> Principal:
    """Staff of another department (人社局) holding the same role."""
    return staff(role, department=OTHER, subject=f"rs-{role}")


async def register_policy(client, code: str, *, four_eyes: bool | None = None) -> None:  # type: ignore[no-untyped-def]
    policy: dict[str, Any] = {
        "title": "部门规则测试政策",
        "department": DEPT,
        "mode": "application",
        "max_amount_fen": 500_000,
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
        "notice_days": 0,
    }
    if four_eyes is not None:
        policy["four_eyes"] = four_eyes
    async with client(kj("finance")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": f"register-{code}"},
            json={"policy_code": code, "fiscal_year": 2026, "amount_fen": 10_000_000, "policy": policy},
        )
        assert resp.status_code == 201, resp.text


async def submit(client, code: str, n: int) -> str:  # type: ignore[no-untyped-def]
    async with client(partner("disbursement:write")) as c:
        resp = await c.post(
            "/api/v1/applications",
            json={
                "policy_code": code,
                "applicant_type": "enterprise",
                "applicant_id": make_uscc(n),
                "period": "2026",
                "amount_fen": 200_000,
            },
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])


async def call(client, who: Principal, path: str, body: dict[str, Any] | None = None) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.post(path, json=body)


async def step(client, who: Principal, app_id: str, to: str) -> Any:  # type: ignore[no-untyped-def]
    return await call(client, who, f"/api/v1/applications/{app_id}/steps", {"to_status": to, "comment": to})


async def status_of(client, app_id: str) -> str:  # type: ignore[no-untyped-def]
    async with client(kj("reviewer")) as c:
        return str((await c.get(f"/api/v1/applications/{app_id}")).json()["status"])


async def refusals(session: AsyncSession, entity_id: str) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        text(
            "SELECT actor, data->>'code', data->>'refused' FROM audit_log WHERE action = 'access.refused' "
            "AND entity_id = :id ORDER BY seq"
        ),
        {"id": entity_id},
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]


def assert_problem(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["code"] == code, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_another_department_cannot_take_any_step_of_an_application(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-STEPS")
    app_id = await submit(client, "KS-DEPT-STEPS", 7101)
    expected: list[tuple[str, str, str]] = []
    # A partner (the applicant's channel) submits and resubmits but takes no review step.
    assert_problem(
        await step(client, partner("disbursement:write"), app_id, "accepted"), 403, "role_required"
    )

    # 补正: a 人社局 reviewer may not return it, nor a 人社局 officer resubmit it.
    assert_problem(
        await call(client, rs("reviewer"), f"/api/v1/applications/{app_id}/return", {"comment": "补材料"}),
        403,
        "other_department",
    )
    expected.append(("rs-reviewer", "other_department", "application.return"))
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    returned = await call(
        client, kj("reviewer"), f"/api/v1/applications/{app_id}/return", {"comment": "补材料"}
    )
    assert returned.json()["status"] == "supplement_required"
    assert_problem(
        await call(client, rs("officer"), f"/api/v1/applications/{app_id}/resubmit"), 403, "other_department"
    )
    expected.append(("rs-officer", "other_department", "application.resubmit"))
    assert (
        await call(client, partner("disbursement:write"), f"/api/v1/applications/{app_id}/resubmit")
    ).json()["status"] == "submitted"

    # Each stage: refused to 人社局 staff holding the stage's role, and the application does not move; then taken
    # by 科技局 staff (初审, 复审 and 审定 by three different people).
    for role, subject, stage in [
        ("officer", "kj-officer", "accepted"),
        ("reviewer", "kj-reviewer-a", "first_review"),
        ("reviewer", "kj-reviewer-b", "second_review"),
        ("reviewer", "kj-reviewer-a", "public_notice"),
    ]:
        before = await status_of(client, app_id)
        assert_problem(await step(client, rs(role), app_id, stage), 403, "other_department")
        expected.append((f"rs-{role}", "other_department", f"application.{stage}"))
        assert await status_of(client, app_id) == before
        moved = await step(client, kj(role, subject), app_id, stage)
        assert moved.status_code == 200 and moved.json()["status"] == stage, moved.text

    assert_problem(
        await call(
            client,
            rs("officer"),
            f"/api/v1/applications/{app_id}/objections",
            {"objector": "张三", "content": "异议"},
        ),
        403,
        "other_department",
    )
    expected.append(("rs-officer", "other_department", "application.objection"))
    assert_problem(
        await call(client, rs("approver"), f"/api/v1/applications/{app_id}/reject", {"reason": "不符合条件"}),
        403,
        "other_department",
    )
    expected.append(("rs-approver", "other_department", "application.reject"))
    assert_problem(await step(client, rs("approver"), app_id, "approved"), 403, "other_department")
    expected.append(("rs-approver", "other_department", "application.approved"))
    assert await status_of(client, app_id) == "public_notice"

    approved = await step(client, kj("approver"), app_id, "approved")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    assert await refusals(session, app_id) == expected

    # A terminal rejection by another department is refused too (on a fresh application).
    other_id = await submit(client, "KS-DEPT-STEPS", 7102)
    assert_problem(
        await call(client, rs("officer"), f"/api/v1/applications/{other_id}/reject", {"reason": "不予通过"}),
        403,
        "other_department",
    )
    assert await status_of(client, other_id) == "submitted"
    assert await refusals(session, other_id) == [("rs-officer", "other_department", "application.reject")]
    async with client(kj("finance")) as c:
        assert (await c.get("/api/v1/audit/verify")).json()[
            "ok"
        ] is True  # the refusals are links of the chain


async def test_admins_act_for_every_department(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-ADMIN")
    app_id = await submit(client, "KS-DEPT-ADMIN", 7201)
    for subject, stage in [
        ("admin-1", "accepted"),
        ("admin-1", "first_review"),
        ("admin-2", "second_review"),
        ("admin-2", "public_notice"),
        ("admin-3", "approved"),
    ]:
        resp = await step(client, staff("admin", department=OTHER, subject=subject), app_id, stage)
        assert resp.status_code == 200 and resp.json()["status"] == stage, resp.text
    assert await refusals(session, app_id) == []


async def test_four_eyes_first_and_second_review_and_approval_are_three_people(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-4EYES")
    app_id = await submit(client, "KS-DEPT-4EYES", 7301)
    one = kj("reviewer", "kj-same")
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    assert (await step(client, one, app_id, "first_review")).status_code == 200
    same = await step(client, one, app_id, "second_review")
    assert_problem(same, 409, "same_person")
    assert same.json()["stages_taken"] == ["first_review"]
    assert await status_of(client, app_id) == "first_review"
    # Someone holding both roles who took 复审 may not take 审定; nor may an admin who took 初审.
    both = staff("reviewer", "approver", department=DEPT, subject="kj-both")
    assert (await step(client, both, app_id, "second_review")).status_code == 200
    assert (await step(client, kj("reviewer"), app_id, "public_notice")).status_code == 200
    assert_problem(await step(client, both, app_id, "approved"), 409, "same_person")
    admin_as_reviewer = staff("admin", subject="kj-same")
    assert_problem(await step(client, admin_as_reviewer, app_id, "approved"), 409, "same_person")
    assert (await step(client, kj("approver"), app_id, "approved")).status_code == 200
    assert await refusals(session, app_id) == [
        ("kj-same", "same_person", "application.second_review"),
        ("kj-both", "same_person", "application.approved"),
        ("kj-same", "same_person", "application.approved"),
    ]


async def test_four_eyes_counts_the_current_round_and_a_policy_may_turn_it_off(client) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-ROUND")
    app_id = await submit(client, "KS-DEPT-ROUND", 7401)
    a, b = kj("reviewer", "kj-a"), kj("reviewer", "kj-b")
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    assert (await step(client, a, app_id, "first_review")).status_code == 200
    await call(client, a, f"/api/v1/applications/{app_id}/return", {"comment": "补材料"})
    await call(client, partner("disbursement:write"), f"/api/v1/applications/{app_id}/resubmit")
    # A new round of review: who took 初审 before may take 复审 now, when someone else took this round's 初审.
    assert (await step(client, kj("officer"), app_id, "accepted")).status_code == 200
    assert (await step(client, b, app_id, "first_review")).status_code == 200
    assert (await step(client, a, app_id, "second_review")).status_code == 200

    await register_policy(client, "KS-DEPT-SOLO", four_eyes=False)
    solo_id = await submit(client, "KS-DEPT-SOLO", 7402)
    solo = staff("reviewer", "approver", department=DEPT, subject="kj-solo")
    for stage in ("accepted", "first_review", "second_review", "public_notice", "approved"):
        resp = await step(client, solo, solo_id, stage)
        assert resp.status_code == 200 and resp.json()["status"] == stage, resp.text


async def pending_disbursement(session: AsyncSession, code: str, n: int, department: str = DEPT) -> str:
    d = await create_disbursement(
        session,
        mode="automatic",
        policy_code=code,
        policy_version=1,
        department=department,
        district=None,
        entity_type="enterprise",
        entity_id=make_uscc(n),
        period="2026",
        amount_fen=100_000,
        entitlement_id=str(uuid.uuid4()),
        needs_approval=True,
    )
    assert d is not None
    return str(d.id)


async def test_disbursement_approval_rejection_and_reissue_are_the_departments(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-PAY")
    first = await pending_disbursement(session, "KS-DEPT-PAY", 7501)
    second = await pending_disbursement(session, "KS-DEPT-PAY", 7502)
    assert_problem(
        await call(client, rs("approver"), f"/api/v1/disbursements/{first}/approve"), 403, "other_department"
    )
    assert_problem(
        await call(client, rs("approver"), f"/api/v1/disbursements/{second}/reject", {"reason": "不符"}),
        403,
        "other_department",
    )
    reissue = await call(
        client, rs("approver"), f"/api/v1/disbursements/{first}/reissue", {"comment": "账户已更正"}
    )
    assert_problem(reissue, 403, "other_department")
    async with client(kj("approver")) as c:
        assert (await c.get(f"/api/v1/disbursements/{first}")).json()["status"] == "pending_approval"
        assert (await c.get(f"/api/v1/disbursements/{second}")).json()["status"] == "pending_approval"
    approved = await call(client, kj("approver"), f"/api/v1/disbursements/{first}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "reserved", approved.text
    # Past the department rule, the state decides (only a failed or returned payment is reissued).
    assert_problem(
        await call(
            client, kj("approver"), f"/api/v1/disbursements/{first}/reissue", {"comment": "账户已更正"}
        ),
        409,
        "invalid_transition",
    )
    rejected = await call(
        client, staff("admin", subject="root"), f"/api/v1/disbursements/{second}/reject", {"reason": "不符"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    assert await refusals(session, first) == [
        ("rs-approver", "other_department", "disbursement.approve"),
        ("rs-approver", "other_department", "disbursement.reissue"),
    ]
    assert await refusals(session, second) == [("rs-approver", "other_department", "disbursement.reject")]


async def test_budget_top_up_is_the_departments_and_a_policy_cannot_be_moved_to_another(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await register_policy(client, "KS-DEPT-FUND")

    async def fund(who: Principal, key: str, **extra: Any) -> Any:
        async with client(who) as c:
            return await c.post(
                "/api/v1/budgets",
                headers={"Idempotency-Key": key},
                json={"policy_code": "KS-DEPT-FUND", "fiscal_year": 2026, "amount_fen": 1_000, **extra},
            )

    assert_problem(await fund(rs("finance"), "top-up-rs"), 403, "other_department")
    hijack = {"title": "改挂人社局", "department": OTHER, "mode": "application"}
    assert_problem(await fund(rs("finance"), "hijack-rs", policy=hijack), 403, "other_department")
    assert_problem(await fund(kj("finance"), "hijack-kj", policy=hijack), 403, "other_department")
    assert (await fund(kj("finance"), "top-up-kj")).status_code == 201
    assert (await fund(staff("admin", subject="root"), "top-up-admin")).status_code == 201
    async with client(kj("finance")) as c:
        budget = (await c.get("/api/v1/budgets", params={"policy_code": "KS-DEPT-FUND"})).json()["items"][0]
    assert budget["credits_posted"] == 10_000_000 + 2 * 1_000  # the two refused top-ups moved nothing
    department = (
        await session.execute(text("SELECT department FROM policies WHERE code = 'KS-DEPT-FUND'"))
    ).scalar_one()
    assert department == DEPT
    assert await refusals(session, "budget:KS-DEPT-FUND:2026") == [
        ("rs-finance", "other_department", "budget.fund"),
        ("rs-finance", "other_department", "budget.fund"),
        ("kj-finance", "other_department", "budget.fund"),
    ]
    # A refused request leaves no Idempotency-Key behind: the same key works once the caller may act.
    assert (await fund(staff("admin", subject="rs-finance"), "top-up-rs")).status_code == 201
    async with client(kj("finance")) as c:
        budget = (await c.get("/api/v1/budgets", params={"policy_code": "KS-DEPT-FUND"})).json()["items"][0]
    assert budget["credits_posted"] == 10_000_000 + 3 * 1_000
