"""Talent programs (双创人才 …): a yearly call's window, one application per talent, expert review with declared
conflicts of interest, scores normalised per expert and ranked per category, selection within the quota by the
department's approver who did not review (four eyes), and the 公示 list.

Worked example (category A, quota 2). Experts E1 and E2 score a, b, c; E3 declared a conflict with a's company
(refused when trying to score it) and gives b and c the same 70:

    E1: a 95, b 90, c 85  → mean 90, sd 4.082  → z  1.2247,  0,       -1.2247
    E2: a 40, b 90, c 80  → mean 70, sd 21.602 → z -1.3887,  0.9258,   0.4629
    E3:       b 70, c 70  → sd 0              → z           0,        0

    normalised: a (1.2247 - 1.3887) / 2 = -0.0820, b (0 + 0.9258 + 0) / 3 = 0.3086, c (-1.2247 + 0.4629 + 0) / 3
    = -0.2539 → b, a, c; selected b and a although c's raw mean (78.3) is above a's (67.5): E2 scores everyone low
    and widely, E1 everyone high and narrowly.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from disbursement_testkit import make_uscc
from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_disbursement.programs.service import rank
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEPT = "科技局"
OTHER = "人社局"


def kj(role: str, subject: str) -> Principal:
    return staff(role, department=DEPT, subject=subject)


async def post(client, who: Principal, path: str, body: dict[str, Any] | None = None) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.post(path, json=body or {})


async def get(client, who: Principal | None, path: str) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.get(path)


async def new_program(  # type: ignore[no-untyped-def]
    client, *, opens_in: int = -1, closes_in: int = 10, quota: int = 2, notice_days: int = 5
) -> tuple[str, str]:
    """A program of 科技局 and its call; (program id, call id)."""
    code = f"SC-{uuid.uuid4().hex[:8]}"
    officer = kj("officer", "kj-officer")
    resp = await post(
        client,
        officer,
        "/api/v1/programs",
        {"code": code, "title": "昆山双创人才", "applicant_kind": "talent"},
    )
    assert resp.status_code == 201, resp.text
    program_id = resp.json()["id"]
    assert resp.json()["department"] == DEPT
    today = local_today()
    resp = await post(
        client,
        officer,
        f"/api/v1/programs/{program_id}/calls",
        {
            "year": 2026,
            "title": "2026年度昆山双创人才",
            "opens_on": (today + timedelta(days=opens_in)).isoformat(),
            "closes_on": (today + timedelta(days=closes_in)).isoformat(),
            "categories": [
                {"code": "A", "title": "科技创新类", "quota": quota},
                {"code": "B", "title": "科技创业类", "quota": 1},
            ],
            "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 200_000_000}],
            "notice_days": notice_days,
        },
    )
    assert resp.status_code == 201, resp.text
    return program_id, resp.json()["id"]


async def apply(client, call_id: str, name: str, n: int | None, category: str = "A") -> Any:  # type: ignore[no-untyped-def]
    return await post(
        client,
        partner("disbursement:write"),
        f"/api/v1/program-calls/{call_id}/applications",
        {
            "applicant_id": f"talent-{name}-{call_id[:8]}",
            "applicant_name": name,
            "company_uscc": None if n is None else make_uscc(n),
            "company_name": None if n is None else f"昆山{name}科技有限公司",
            "category": category,
            "funding_level": "L1",
            "requested_amount_fen": 150_000_000,
            "plan": "三年内完成样机并量产，联系人 13812345678",
        },
    )


def test_normalisation_and_ranking_on_the_worked_example() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    scores = [(a, "E1", 95), (b, "E1", 90), (c, "E1", 85), (a, "E2", 40), (b, "E2", 90), (c, "E2", 80)]
    scores += [(b, "E3", 70), (c, "E3", 70)]
    ranked = rank(
        [(a, "A", {"ua"}), (b, "A", {"ub"}), (c, "A", {"uc"})], scores, ["E1", "E2", "E3"], {("E3", "ua")}
    )
    by_id = {r.application_id: r for r in ranked}
    assert [r.application_id for r in ranked] == [b, a, c]
    assert by_id[a].normalised == pytest.approx(-0.0820, abs=1e-4)
    assert by_id[b].normalised == pytest.approx(0.3086, abs=1e-4)
    assert by_id[c].normalised == pytest.approx(-0.2539, abs=1e-4)
    assert by_id[c].mean_raw > by_id[a].mean_raw  # the raw mean would have ranked c above a
    assert (by_id[a].expected, by_id[b].expected) == (2, 3)  # E3 is excused from a


async def test_a_call_from_window_to_public_notice(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    _, call_id = await new_program(client)
    experts = {e: kj("reviewer", f"kj-expert-{e}") for e in ("E1", "E2", "E3")}
    resp = await post(
        client,
        kj("officer", "kj-officer"),
        f"/api/v1/program-calls/{call_id}/panel",
        {"experts": [{"subject": p.subject, "name": e} for e, p in experts.items()]},
    )
    assert resp.status_code == 200, resp.text
    assert sorted(resp.json()["panel"]) == sorted(p.subject for p in experts.values())

    ids = {}
    for name, n in (("a", 801), ("b", 802), ("c", 803)):
        resp = await apply(client, call_id, name, n)
        assert resp.status_code == 201, resp.text
        ids[name] = resp.json()["id"]
    assert "13812345678" not in resp.json()["plan"]  # the plan is stored masked
    # 未落地先评审: a talent whose company is not registered yet applies in category B.
    resp = await apply(client, call_id, "d", None, category="B")
    assert resp.status_code == 201 and resp.json()["landed"] is False, resp.text
    ids["d"] = resp.json()["id"]
    # One application per talent per call.
    resp = await apply(client, call_id, "a", 804)
    assert resp.status_code == 409 and resp.json()["code"] == "already_applied", resp.text

    # E3 declares a conflict with a's company: scoring it is refused (and audited).
    resp = await post(
        client,
        experts["E3"],
        f"/api/v1/program-calls/{call_id}/conflicts",
        {"company_uscc": make_uscc(801), "reason": "曾任该企业技术顾问"},
    )
    assert resp.status_code == 201, resp.text
    resp = await post(client, experts["E3"], f"/api/v1/program-applications/{ids['a']}/scores", {"score": 99})
    assert resp.status_code == 409 and resp.json()["code"] == "conflict_of_interest", resp.text
    # A reviewer outside the panel cannot score.
    resp = await post(
        client,
        kj("reviewer", "kj-outsider"),
        f"/api/v1/program-applications/{ids['a']}/scores",
        {"score": 50},
    )
    assert resp.status_code == 403 and resp.json()["code"] == "not_on_panel", resp.text

    worked = {"E1": {"a": 95, "b": 90, "c": 85}, "E2": {"a": 40, "b": 90, "c": 80}, "E3": {"b": 70, "c": 70}}
    for expert, given in worked.items():
        for name, value in given.items():
            resp = await post(
                client, experts[expert], f"/api/v1/program-applications/{ids[name]}/scores", {"score": value}
            )
            assert resp.status_code == 201, resp.text
    # Each expert scores an application once.
    resp = await post(client, experts["E1"], f"/api/v1/program-applications/{ids['a']}/scores", {"score": 10})
    assert resp.status_code == 409 and resp.json()["code"] == "already_scored", resp.text
    # Bad input is a 422 naming the field, never a 500.
    resp = await post(
        client, experts["E1"], f"/api/v1/program-applications/{ids['d']}/scores", {"score": 101}
    )
    assert resp.status_code == 422, resp.text

    approver = kj("approver", "kj-approver")
    # Selection waits for the window to close.
    resp = await post(client, approver, f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 409 and resp.json()["code"] == "call_not_closed", resp.text
    resp = await post(client, kj("officer", "kj-officer"), f"/api/v1/program-calls/{call_id}/close")
    assert resp.status_code == 200 and resp.json()["accepting"] is False, resp.text
    resp = await apply(client, call_id, "late", 805)
    assert resp.status_code == 409 and resp.json()["code"] == "call_not_open", resp.text
    # d has no score yet: the review is incomplete.
    resp = await post(client, approver, f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 409 and resp.json()["code"] == "review_incomplete", resp.text
    for expert in ("E1", "E2", "E3"):
        resp = await post(
            client, experts[expert], f"/api/v1/program-applications/{ids['d']}/scores", {"score": 80}
        )
        assert resp.status_code == 201, resp.text

    ranking = (await get(client, approver, f"/api/v1/program-calls/{call_id}/ranking")).json()
    assert ranking["complete"] is True
    assert [r["applicant_name"] for r in ranking["categories"]["A"]] == ["b", "a", "c"]

    # Four eyes: an expert of the panel who is also an approver cannot select; another department cannot either.
    resp = await post(client, kj("approver", "kj-expert-E1"), f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 409 and resp.json()["code"] == "same_person", resp.text
    resp = await post(
        client,
        staff("approver", department=OTHER, subject="rs-approver"),
        f"/api/v1/program-calls/{call_id}/selection",
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text

    # The public notice is not there before it is published.
    resp = await get(client, None, f"/api/v1/program-notices/{call_id}")
    assert resp.status_code == 404, resp.text

    resp = await post(
        client, approver, f"/api/v1/program-calls/{call_id}/selection", {"comment": "按排名入选"}
    )
    assert resp.status_code == 200, resp.text
    a_rows = resp.json()["categories"]["A"]
    assert [(r["applicant_name"], r["within_quota"]) for r in a_rows] == [
        ("b", True),
        ("a", True),
        ("c", False),
    ]
    resp = await post(client, approver, f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 409 and resp.json()["code"] == "already_selected", resp.text
    statuses = {
        name: (await get(client, approver, f"/api/v1/program-applications/{i}")).json()["status"]
        for name, i in ids.items()
    }
    assert statuses == {"a": "selected", "b": "selected", "c": "not_selected", "d": "selected"}

    resp = await post(client, approver, f"/api/v1/program-calls/{call_id}/notice")
    assert resp.status_code == 200, resp.text
    notice = (await get(client, None, f"/api/v1/program-notices/{call_id}")).json()
    assert [(e["category"], e["rank"], e["applicant_name"]) for e in notice["entries"]] == [
        ("A", 1, "b"),
        ("A", 2, "a"),
        ("B", 1, "d"),
    ]
    assert notice["notice_ends_on"] == (local_today() + timedelta(days=5)).isoformat()

    selected = (
        await session.execute(
            text(
                "SELECT subject FROM outbox_events WHERE type = 'kunruyi.disbursement.program.selected'"
                " AND envelope->'data'->>'call_id' = :c"
            ),
            {"c": call_id},
        )
    ).scalars()
    assert sorted(selected) == sorted([ids["a"], ids["b"], ids["d"]])
    submitted = (
        await session.execute(
            text(
                "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.disbursement.program.application_submitted'"
                " AND envelope->'data'->>'call_id' = :c"
            ),
            {"c": call_id},
        )
    ).scalar_one()
    assert submitted == 4
    refused = (
        await session.execute(
            text(
                "SELECT data->>'code' FROM audit_log WHERE action = 'access.refused'"
                " AND entity_id IN (:a, :c) ORDER BY seq"
            ),
            {"a": ids["a"], "c": call_id},
        )
    ).scalars()
    assert list(refused) == ["conflict_of_interest", "not_on_panel", "same_person", "other_department"]


async def test_applications_outside_the_window_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    _, not_yet = await new_program(client, opens_in=1, closes_in=10)
    resp = await apply(client, not_yet, "early", 811)
    assert resp.status_code == 409, resp.text
    problem = resp.json()
    assert problem["code"] == "call_not_open" and problem["today"] == local_today().isoformat()
    _, past = await new_program(client, opens_in=-10, closes_in=-1)
    resp = await apply(client, past, "late", 812)
    assert resp.status_code == 409 and resp.json()["code"] == "call_not_open", resp.text
    # The last day of the window (Beijing date) still accepts.
    _, last_day = await new_program(client, opens_in=-3, closes_in=0)
    resp = await apply(client, last_day, "ontime", 813)
    assert resp.status_code == 201, resp.text
    # An unknown category or an amount over the level is named.
    resp = await apply(client, last_day, "wrongcat", 814, category="Z")
    assert resp.status_code == 422 and resp.json()["code"] == "unknown_category", resp.text


async def test_only_the_programs_department_manages_its_calls(client) -> None:  # type: ignore[no-untyped-def]
    program_id, call_id = await new_program(client)
    rs_officer = staff("officer", department=OTHER, subject="rs-officer")
    resp = await post(
        client,
        rs_officer,
        f"/api/v1/programs/{program_id}/calls",
        {
            "year": 2027,
            "title": "2027年度",
            "opens_on": "2027-03-01",
            "closes_on": "2027-04-30",
            "categories": [{"code": "A", "title": "科技创新类", "quota": 1}],
            "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 100}],
        },
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
    for path, body in (
        (f"/api/v1/program-calls/{call_id}/panel", {"experts": [{"subject": "rs-expert"}]}),
        (f"/api/v1/program-calls/{call_id}/close", None),
    ):
        resp = await post(client, rs_officer, path, body)
        assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
    call = (await get(client, kj("officer", "kj-officer"), f"/api/v1/program-calls/{call_id}")).json()
    assert call["panel"] == [] and call["status"] == "open"
    # Nor read its applicants, ranking, objections or agreements (names, companies, amounts), nor one application —
    # an expert on the call's panel from another department may, to score.
    applied = await apply(client, call_id, "reader", 830)
    assert applied.status_code == 201, applied.text
    reads = [
        f"/api/v1/program-calls/{call_id}{tail}"
        for tail in ("", "/applications", "/ranking", "/objections", "/agreements")
    ] + [f"/api/v1/program-applications/{applied.json()['id']}"]
    for path in reads:
        resp = await get(client, staff("reviewer", department=OTHER, subject="rs-reader"), path)
        assert resp.status_code == 403 and resp.json()["code"] == "other_department", (path, resp.text)
    added = await post(
        client,
        kj("officer", "kj-officer"),
        f"/api/v1/program-calls/{call_id}/panel",
        {"experts": [{"subject": "rs-expert", "name": "人社局专家"}]},
    )
    assert added.status_code == 200, added.text
    for path in reads:
        resp = await get(client, staff("reviewer", department=OTHER, subject="rs-expert"), path)
        assert resp.status_code == 200, (path, resp.text)
    # A department's officer cannot register a program for another department.
    resp = await post(
        client,
        kj("officer", "kj-officer"),
        "/api/v1/programs",
        {
            "code": f"X-{uuid.uuid4().hex[:6]}",
            "title": "头雁人才",
            "applicant_kind": "talent",
            "department": OTHER,
        },
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
