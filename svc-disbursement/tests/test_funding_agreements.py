"""Funding agreements (资助协议) of selected program applications: tranches tied to milestones, each released as a
disbursement of the program's budget once its milestone is confirmed (four eyes), the yearly 绩效评估 that pauses
or ends the remaining tranches, 未落地先评审, and every bad release refused with nothing paid and an audit entry."""

from __future__ import annotations

import uuid
from typing import Any

from disbursement_testkit import make_uscc
from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_programs import DEPT, OTHER, apply, get, kj, new_program, post

OFFICER = kj("officer", "kj-officer")
APPROVER = kj("approver", "kj-approver")
M = 1_000_000  # 1 万元 in fen


async def selected(client, names: list[tuple[str, int | None, str]]) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A call of 科技局 with ``names`` (name, company number or None, category) applied, scored by one expert in
    that order (the first of a category ranks highest), closed, selected (A: quota 5, B: quota 1) and published
    with a 公示 of 0 days (over at once: agreements may be signed)."""
    _, call_id = await new_program(client, quota=5, notice_days=0)
    expert = kj("reviewer", "kj-expert")
    resp = await post(
        client, OFFICER, f"/api/v1/program-calls/{call_id}/panel", {"experts": [{"subject": expert.subject}]}
    )
    assert resp.status_code == 200, resp.text
    ids = {}
    for score, (name, n, category) in enumerate(names):
        resp = await apply(client, call_id, name, n, category=category)
        assert resp.status_code == 201, resp.text
        ids[name] = resp.json()["id"]
        resp = await post(
            client, expert, f"/api/v1/program-applications/{ids[name]}/scores", {"score": 90 - score}
        )
        assert resp.status_code == 201, resp.text
    assert (await post(client, OFFICER, f"/api/v1/program-calls/{call_id}/close")).status_code == 200
    resp = await post(client, APPROVER, f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 200, resp.text
    resp = await post(client, APPROVER, f"/api/v1/program-calls/{call_id}/notice")
    assert resp.status_code == 200, resp.text
    return call_id, ids


async def fund(client, policy_code: str, amount_fen: int) -> None:  # type: ignore[no-untyped-def]
    async with client(kj("finance", "kj-finance")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            json={"policy_code": policy_code, "fiscal_year": local_today().year, "amount_fen": amount_fen},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert resp.status_code == 201, resp.text


async def release(
    client,
    who: Principal,
    agreement_id: str,
    seq: int,
    body: dict[str, Any] | None = None,
    key: str | None = None,
) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.post(
            f"/api/v1/funding-agreements/{agreement_id}/tranches/{seq}/release",
            json=body or {},
            headers={"Idempotency-Key": key} if key else {},
        )


def tranche(agreement: dict[str, Any], seq: int) -> dict[str, Any]:
    found: dict[str, Any] = agreement["tranches"][seq - 1]
    assert found["seq"] == seq
    return found


async def paid_to(session: AsyncSession, uscc: str) -> list[tuple[int, str]]:
    rows = await session.execute(
        text("SELECT amount_fen, status FROM disbursements WHERE entity_id = :e ORDER BY created_at"),
        {"e": uscc},
    )
    return [(r.amount_fen, r.status) for r in rows]


async def refusals(session: AsyncSession, agreement_id: str) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT data->>'code' AS code FROM audit_log WHERE action = 'access.refused' AND entity_id = :e ORDER BY seq"
        ),
        {"e": agreement_id},
    )
    return [r.code for r in rows]


async def test_tranches_paid_on_registration_then_on_the_assessment(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    call_id, ids = await selected(client, [("x", 911, "A"), ("lost", 912, "B"), ("z", 913, "B")])
    uscc = make_uscc(911)
    path = f"/api/v1/program-applications/{ids['x']}/agreement"
    # Not selected: no agreement. Above the funding level (L1: at most 200 万元): refused.
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/program-applications/{ids['z']}/agreement",
        {"tranches": [{"milestone": "company_registered", "amount_fen": 10 * M}]},
    )
    assert resp.status_code == 409 and resp.json()["code"] == "application_not_selected", resp.text
    resp = await post(
        client, OFFICER, path, {"tranches": [{"milestone": "first_revenue", "amount_fen": 201 * M}]}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "agreement_over_funding_level", resp.text
    resp = await post(client, OFFICER, path, {"tranches": [{"milestone": "headcount", "amount_fen": 10 * M}]})
    assert resp.status_code == 422 and resp.json()["code"] == "milestone_target_required", resp.text
    # Another department cannot sign it.
    resp = await post(
        client,
        staff("officer", department=OTHER, subject="rs-officer"),
        path,
        {"tranches": [{"milestone": "company_registered", "amount_fen": 10 * M}]},
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text

    year = local_today().year
    resp = await post(
        client,
        OFFICER,
        path,
        {
            "tranches": [
                {"milestone": "company_registered", "amount_fen": 50 * M},
                {"milestone": "assessment_passed", "assessment_year": year, "amount_fen": 30 * M},
                {"milestone": "headcount", "target": 20, "amount_fen": 20 * M},
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    agreement = resp.json()
    agreement_id = agreement["id"]
    assert (agreement["total_fen"], agreement["status"], agreement["department"]) == (100 * M, "active", DEPT)
    assert [t["status"] for t in agreement["tranches"]] == ["pending"] * 3
    resp = await post(client, OFFICER, path, {"tranches": [{"milestone": "first_revenue", "amount_fen": M}]})
    assert resp.status_code == 409 and resp.json()["code"] == "funding_agreement_exists", resp.text
    await fund(client, agreement["policy_code"], 500 * M)

    base = f"/api/v1/funding-agreements/{agreement_id}/tranches"
    # Released before its milestone: refused, nothing paid.
    resp = await release(client, APPROVER, agreement_id, 1)
    assert resp.status_code == 409 and resp.json()["code"] == "milestone_not_confirmed", resp.text
    # The assessment milestone is confirmed only by a passed assessment; headcount waits for the registration.
    resp = await post(client, OFFICER, f"{base}/2/confirm", {"evidence": "自评通过"})
    assert resp.status_code == 409 and resp.json()["code"] == "milestone_by_assessment", resp.text
    resp = await post(client, OFFICER, f"{base}/3/confirm", {"evidence": "社保名单 25 人"})
    assert resp.status_code == 409 and resp.json()["code"] == "company_not_registered", resp.text

    resp = await post(
        client, OFFICER, f"{base}/1/confirm", {"evidence": "营业执照已核验，联系人 13812345678"}
    )
    assert resp.status_code == 200, resp.text
    t1 = tranche(resp.json(), 1)
    assert (
        t1["status"] == "due" and "13812345678" not in t1["evidence"] and t1["confirmed_by"] == "kj-officer"
    )
    resp = await post(client, OFFICER, f"{base}/1/confirm", {"evidence": "again"})
    assert resp.status_code == 409 and resp.json()["code"] == "milestone_already_confirmed", resp.text

    # Four eyes: who confirmed the milestone does not release it; another department does not either.
    resp = await release(client, kj("approver", "kj-officer"), agreement_id, 1)
    assert resp.status_code == 409 and resp.json()["code"] == "same_person", resp.text
    resp = await release(client, staff("approver", department=OTHER, subject="rs-approver"), agreement_id, 1)
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
    # Above the tranche: refused.
    resp = await release(client, APPROVER, agreement_id, 1, {"amount_fen": 51 * M})
    assert resp.status_code == 422 and resp.json()["code"] == "over_agreement_total", resp.text
    assert await paid_to(session, uscc) == []

    # The first tranche, on registration: a disbursement of the program's budget, its budget reserved.
    resp = await release(client, APPROVER, agreement_id, 1, key="release-t1")
    assert resp.status_code == 200, resp.text
    first = resp.json()
    t1 = tranche(first, 1)
    assert (t1["status"], t1["released_fen"], t1["disbursement_status"]) == ("released", 50 * M, "reserved")
    assert first["released_fen"] == 50 * M
    # The retried request (same key) answers the same; a second release is refused; one payment only.
    resp = await release(client, APPROVER, agreement_id, 1, key="release-t1")
    assert resp.status_code == 200 and resp.headers.get("Idempotent-Replayed") == "true", resp.text
    assert tranche(resp.json(), 1)["disbursement_id"] == t1["disbursement_id"]
    resp = await release(client, APPROVER, agreement_id, 1)
    assert resp.status_code == 409 and resp.json()["code"] == "tranche_already_released", resp.text
    assert await paid_to(session, uscc) == [(50 * M, "reserved")]
    d = (await get(client, APPROVER, f"/api/v1/disbursements/{t1['disbursement_id']}")).json()
    assert (d["policy_code"], d["entity_type"], d["entity_id"]) == (
        agreement["policy_code"],
        "enterprise",
        uscc,
    )

    # The second, on the year's passed assessment.
    resp = await release(client, APPROVER, agreement_id, 2)
    assert resp.status_code == 409 and resp.json()["code"] == "milestone_not_confirmed", resp.text
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/funding-agreements/{agreement_id}/assessments",
        {"year": year, "result": "pass"},
    )
    assert resp.status_code == 201, resp.text
    assert tranche(resp.json(), 2)["status"] == "due"
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/funding-agreements/{agreement_id}/assessments",
        {"year": year, "result": "pass"},
    )
    assert resp.status_code == 409 and resp.json()["code"] == "assessment_exists", resp.text
    resp = await release(client, APPROVER, agreement_id, 2)
    assert resp.status_code == 200, resp.text
    assert await paid_to(session, uscc) == [(50 * M, "reserved"), (30 * M, "reserved")]

    # Headcount, then its release: the agreement is complete.
    resp = await post(client, OFFICER, f"{base}/3/confirm", {"evidence": "社保缴纳名单 25 人"})
    assert resp.status_code == 200, resp.text
    resp = await release(client, APPROVER, agreement_id, 3)
    assert resp.status_code == 200 and resp.json()["status"] == "completed", resp.text
    assert resp.json()["released_fen"] == 100 * M

    assert await refusals(session, agreement_id) == [
        "milestone_not_confirmed",
        "company_not_registered",
        "same_person",
        "other_department",
        "over_agreement_total",
        "tranche_already_released",
        "milestone_not_confirmed",
    ]
    released = await session.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'funding_tranche.released' AND entity_id = :e"),
        {"e": agreement_id},
    )
    assert released.scalar_one() == 3
    listed = (await get(client, APPROVER, f"/api/v1/program-calls/{call_id}/agreements")).json()["items"]
    assert [a["id"] for a in listed] == [agreement_id]


async def test_a_failed_assessment_pauses_or_ends_the_rest_and_unlanded_waits(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    _, ids = await selected(client, [("y", None, "A"), ("w", 921, "A")])
    year = local_today().year
    # 未落地先评审: without a company, the agreement must wait for the registration milestone.
    path = f"/api/v1/program-applications/{ids['y']}/agreement"
    resp = await post(
        client, OFFICER, path, {"tranches": [{"milestone": "first_revenue", "amount_fen": 10 * M}]}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "registration_tranche_required", resp.text
    resp = await post(
        client,
        OFFICER,
        path,
        {
            "tranches": [
                {"milestone": "company_registered", "amount_fen": 40 * M},
                {"milestone": "first_revenue", "amount_fen": 40 * M},
                {"milestone": "assessment_passed", "assessment_year": year + 2, "amount_fen": 20 * M},
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    agreement = resp.json()
    agreement_id = agreement["id"]
    assert agreement["landed"] is False and agreement["company_uscc"] is None
    await fund(client, agreement["policy_code"], 500 * M)
    base = f"/api/v1/funding-agreements/{agreement_id}/tranches"
    assessments = f"/api/v1/funding-agreements/{agreement_id}/assessments"

    resp = await post(client, OFFICER, f"{base}/2/confirm", {"evidence": "首笔发票"})
    assert resp.status_code == 409 and resp.json()["code"] == "company_not_registered", resp.text
    resp = await release(client, APPROVER, agreement_id, 2)
    assert resp.status_code == 409 and resp.json()["code"] == "company_not_registered", resp.text
    resp = await post(client, OFFICER, f"{base}/1/confirm", {"evidence": "营业执照"})
    assert resp.status_code == 422 and resp.json()["code"] == "company_uscc_required", resp.text
    resp = await post(
        client, OFFICER, f"{base}/1/confirm", {"evidence": "营业执照", "company_uscc": "91320583XXXXXXXXXX"}
    )
    assert resp.status_code == 422, resp.text

    # A failed assessment with pause: no tranche is released until a later year passes.
    resp = await post(client, OFFICER, assessments, {"year": year, "result": "fail"})
    assert resp.status_code == 422 and resp.json()["code"] == "assessment_fail_unexplained", resp.text
    resp = await post(
        client,
        OFFICER,
        assessments,
        {"year": year, "result": "fail", "reason": "尚未落地", "consequence": "pause"},
    )
    assert resp.status_code == 201 and resp.json()["status"] == "paused", resp.text
    uscc = make_uscc(922)
    resp = await post(
        client,
        OFFICER,
        f"{base}/1/confirm",
        {"evidence": "营业执照已核验", "company_uscc": uscc, "company_name": "昆山y科技有限公司"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["landed"] is True and resp.json()["company_uscc"] == uscc
    resp = await release(client, APPROVER, agreement_id, 1)
    assert resp.status_code == 409 and resp.json()["code"] == "agreement_paused", resp.text
    assert await paid_to(session, uscc) == []
    resp = await post(client, OFFICER, assessments, {"year": year + 1, "result": "pass"})
    assert resp.status_code == 201 and resp.json()["status"] == "active", resp.text
    resp = await release(client, APPROVER, agreement_id, 1)
    assert resp.status_code == 200, resp.text
    assert await paid_to(session, uscc) == [(40 * M, "reserved")]

    # A failed assessment with termination: the remaining tranches are cancelled and never paid.
    resp = await post(client, OFFICER, f"{base}/2/confirm", {"evidence": "首笔销售发票"})
    assert resp.status_code == 200, resp.text
    resp = await post(
        client,
        OFFICER,
        assessments,
        {"year": year + 2, "result": "fail", "reason": "营收未达协议目标", "consequence": "terminate"},
    )
    assert resp.status_code == 201, resp.text
    ended = resp.json()
    assert ended["status"] == "terminated" and "营收未达协议目标" in ended["status_reason"]
    assert [t["status"] for t in ended["tranches"]] == ["released", "cancelled", "cancelled"]
    resp = await release(client, APPROVER, agreement_id, 2)
    assert resp.status_code == 409 and resp.json()["code"] == "agreement_ended", resp.text
    resp = await post(client, OFFICER, f"{base}/3/confirm", {"evidence": "x"})
    assert resp.status_code == 409 and resp.json()["code"] == "agreement_ended", resp.text
    assert await paid_to(session, uscc) == [(40 * M, "reserved")]
    assert await refusals(session, agreement_id) == [
        "company_not_registered",
        "company_not_registered",
        "agreement_paused",
        "agreement_ended",
        "agreement_ended",
    ]
