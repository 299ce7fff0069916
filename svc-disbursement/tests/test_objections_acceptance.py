"""The end of the program cycle: 公示 objections (异议) filed by anyone during the notice and resolved by an officer
(upheld: the selection is withdrawn and the next in rank moves up), agreements signed only after the notice and
with no open objection, the events of tranche releases, and 验收 with its green channel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from disbursement_testkit import make_uscc
from kunruyi_common.clock import local_today
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_disbursement.directory.consumer import on_enterprise
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_funding_agreements import APPROVER, OFFICER, M, fund, release, selected
from test_programs import OTHER, apply, get, kj, new_program, post

TRANCHES = {"tranches": [{"milestone": "company_registered", "amount_fen": 30 * M}]}


async def events(session: AsyncSession, event_type: str, about: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT envelope->'data' FROM outbox_events WHERE type = :t AND CAST(envelope AS text) LIKE :a "
            "ORDER BY id"
        ),
        {"t": event_type, "a": f"%{about}%"},
    )
    return [r[0] for r in rows]


async def noticed(client, names: list[str]) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A call (category A, quota 1, a 5-day 公示) where ``names`` applied and were scored in that order, selected
    (only the first) and published."""
    _, call_id = await new_program(client, quota=1, notice_days=5)
    expert = kj("reviewer", "kj-expert")
    resp = await post(
        client, OFFICER, f"/api/v1/program-calls/{call_id}/panel", {"experts": [{"subject": expert.subject}]}
    )
    assert resp.status_code == 200, resp.text
    ids = {}
    for n, name in enumerate(names):
        resp = await apply(client, call_id, name, 700 + n)
        assert resp.status_code == 201, resp.text
        ids[name] = resp.json()["id"]
        resp = await post(
            client, expert, f"/api/v1/program-applications/{ids[name]}/scores", {"score": 90 - n}
        )
        assert resp.status_code == 201, resp.text
    assert (await post(client, OFFICER, f"/api/v1/program-calls/{call_id}/close")).status_code == 200
    resp = await post(client, APPROVER, f"/api/v1/program-calls/{call_id}/selection")
    assert resp.status_code == 200, resp.text
    # Before the 公示 is published: no agreement, no objection.
    resp = await post(client, OFFICER, f"/api/v1/program-applications/{ids[names[0]]}/agreement", TRANCHES)
    assert resp.status_code == 409 and resp.json()["code"] == "notice_period_not_over", resp.text
    resp = await post(
        client,
        None,  # type: ignore[arg-type]
        f"/api/v1/program-notices/{call_id}/objections",
        {"application_id": ids[names[0]], "reason": "企业并未在昆山实际经营"},
    )
    assert resp.status_code == 404 and resp.json()["code"] == "program_notice_not_published", resp.text
    resp = await post(client, APPROVER, f"/api/v1/program-calls/{call_id}/notice")
    assert resp.status_code == 200, resp.text
    return call_id, ids


async def test_an_upheld_objection_withdraws_the_selection_and_the_next_moves_up(  # type: ignore[no-untyped-def]
    client, session: AsyncSession
) -> None:
    call_id, ids = await noticed(client, ["x", "y", "z"])
    notice = (await get(client, None, f"/api/v1/program-notices/{call_id}")).json()
    assert notice["accepting_objections"] is True
    assert [e["application_id"] for e in notice["entries"]] == [ids["x"]]
    objections = f"/api/v1/program-notices/{call_id}/objections"

    # Anyone may object, against an application on the list only.
    resp = await post(client, None, objections, {"application_id": ids["y"], "reason": "未入选也想异议"})  # type: ignore[arg-type]
    assert resp.status_code == 422 and resp.json()["code"] == "objection_target_not_selected", resp.text
    assert resp.json()["field"] == "application_id"
    resp = await post(
        client,
        None,  # type: ignore[arg-type]
        objections,
        {
            "application_id": ids["x"],
            "reason": "企业未实际经营，举报人电话 13812345678",
            "objector": "知情人",
        },
    )
    assert resp.status_code == 201, resp.text
    first = resp.json()["id"]
    # During the notice, with the objection open: no agreement.
    resp = await post(client, OFFICER, f"/api/v1/program-applications/{ids['x']}/agreement", TRANCHES)
    assert resp.status_code == 409 and resp.json()["code"] == "open_objection", resp.text

    listed = (await get(client, OFFICER, f"/api/v1/program-calls/{call_id}/objections")).json()["items"]
    assert [(o["id"], o["status"], o["applicant_name"]) for o in listed] == [(first, "open", "x")]
    assert "13812345678" not in listed[0]["reason"]

    resolution = f"/api/v1/program-objections/{first}/resolution"
    outcome = {"outcome": "upheld", "resolution": "经核查，企业未在昆山实际经营"}
    other = staff("officer", department=OTHER, subject="rs-officer")
    resp = await post(client, other, resolution, outcome)
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
    resp = await post(client, OFFICER, resolution, outcome)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["promoted_application_id"]) == ("upheld", ids["y"])
    resp = await post(client, OFFICER, resolution, {"outcome": "dismissed", "resolution": "改判"})
    assert resp.status_code == 409 and resp.json()["code"] == "objection_already_resolved", resp.text

    # x is withdrawn (and told), y — next in rank — is selected and on the list; z stays out.
    status = {
        a["applicant_name"]: a["status"]
        for a in (await get(client, OFFICER, f"/api/v1/program-calls/{call_id}/applications")).json()["items"]
    }
    assert status == {"x": "withdrawn", "y": "selected", "z": "not_selected"}
    assert [
        e["application_id"]
        for e in (await get(client, None, f"/api/v1/program-notices/{call_id}")).json()["entries"]
    ] == [ids["y"]]
    withdrawn = await events(session, "kunruyi.disbursement.program.selection_withdrawn", ids["x"])
    assert [(e["applicant_id"], e["objection_id"]) for e in withdrawn] == [(f"talent-x-{call_id[:8]}", first)]
    promoted = await events(session, "kunruyi.disbursement.program.selected", ids["y"])
    assert [(e["rank"], e["selected_by"]) for e in promoted] == [(2, "kj-officer")]

    # An objection against y stays open when the 公示 ends; after the end, no new objection is taken.
    resp = await post(
        client, None, objections, {"application_id": ids["y"], "reason": "论文数据存疑，请核查"}
    )  # type: ignore[arg-type]
    assert resp.status_code == 201, resp.text
    second = resp.json()["id"]
    today = local_today()
    await session.execute(
        text("UPDATE program_calls SET notice_starts_on = :s, notice_ends_on = :e WHERE id = :c"),
        {"s": today - timedelta(days=5), "e": today, "c": call_id},
    )
    resp = await post(
        client, None, objections, {"application_id": ids["y"], "reason": "再次异议，公示已结束"}
    )  # type: ignore[arg-type]
    assert resp.status_code == 409 and resp.json()["code"] == "notice_period_over", resp.text
    assert resp.json()["notice_ends_on"] == today.isoformat()
    # The notice is over, but y's objection is open: no agreement yet; dismissed, it is signed. x never is.
    path = f"/api/v1/program-applications/{ids['y']}/agreement"
    resp = await post(client, OFFICER, path, TRANCHES)
    assert resp.status_code == 409 and resp.json()["code"] == "open_objection", resp.text
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/program-objections/{second}/resolution",
        {"outcome": "dismissed", "resolution": "论文数据经核实无误"},
    )
    assert resp.status_code == 200 and resp.json()["promoted_application_id"] is None, resp.text
    resp = await post(client, OFFICER, path, TRANCHES)
    assert resp.status_code == 201, resp.text
    resp = await post(client, OFFICER, f"/api/v1/program-applications/{ids['x']}/agreement", TRANCHES)
    assert resp.status_code == 409 and resp.json()["code"] == "application_not_selected", resp.text


async def test_no_agreement_during_the_notice(client) -> None:  # type: ignore[no-untyped-def]
    call_id, ids = await noticed(client, ["p"])
    resp = await post(client, OFFICER, f"/api/v1/program-applications/{ids['p']}/agreement", TRANCHES)
    assert resp.status_code == 409 and resp.json()["code"] == "notice_period_not_over", resp.text
    assert resp.json()["notice_ends_on"] == (local_today() + timedelta(days=5)).isoformat()


async def qualify(session: AsyncSession, uscc: str, **granted: str) -> None:
    """svc-talent's enterprise event with the company's qualifications (kind → granted_on)."""
    await on_enterprise(
        session,
        CloudEvent(
            id=str(uuid.uuid4()),
            source="talent",
            type="kunruyi.talent.enterprise.updated",
            subject=uscc,
            time=datetime.now(UTC),
            data={
                "uscc": uscc,
                "name": "昆山验收科技有限公司",
                "qualification_dates": {k: {"granted_on": v, "expires_on": None} for k, v in granted.items()},
            },
        ),
    )


async def agreement_of(client, name: str, n: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(agreement id, company USCC) of a selected application of company ``n`` (公示 over)."""
    _, ids = await selected(client, [(name, n, "A")])
    resp = await post(
        client,
        OFFICER,
        f"/api/v1/program-applications/{ids[name]}/agreement",
        {
            "tranches": [
                {"milestone": "first_revenue", "amount_fen": 30 * M},
                {"milestone": "headcount", "target": 10, "amount_fen": 20 * M},
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], make_uscc(n)


async def test_acceptance_through_the_green_channel_once(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    agreement_id, uscc = await agreement_of(client, "g", 951)
    path = f"/api/v1/funding-agreements/{agreement_id}/acceptance"
    # 高企 held since before the program: no green channel, and the officer reads why.
    await qualify(session, uscc, high_tech="2020-01-01", tech_sme=local_today().isoformat())
    agreement = (await get(client, OFFICER, f"/api/v1/funding-agreements/{agreement_id}")).json()
    assert agreement["green_channel"]["eligible"] is False and agreement["acceptance"] is None
    assert "高新技术企业为计划期前认定" in agreement["green_channel"]["why"]
    resp = await post(client, OFFICER, path, {"channel": "green"})
    assert resp.status_code == 409 and resp.json()["code"] == "green_channel_not_reached", resp.text
    assert "须常规验收" in resp.json()["detail"]

    # The tranches, released, publish their events.
    await fund(client, agreement["policy_code"], 100 * M)
    base = f"/api/v1/funding-agreements/{agreement_id}/tranches"
    assert (await post(client, OFFICER, f"{base}/1/confirm", {"evidence": "首笔发票"})).status_code == 200
    assert (await release(client, APPROVER, agreement_id, 1)).status_code == 200
    released = await events(session, "kunruyi.disbursement.program.tranche_released", agreement_id)
    assert [(e["seq"], e["milestone"], e["amount_fen"], e["released_fen"]) for e in released] == [
        (1, "first_revenue", 30 * M, 30 * M)
    ]

    # 瞪羚 reached during the program: the green channel passes without the regular review, once.
    await qualify(session, uscc, high_tech="2020-01-01", gazelle=local_today().isoformat())
    resp = await post(client, OFFICER, path, {"channel": "green", "result": "failed"})
    assert resp.status_code == 422 and resp.json()["code"] == "acceptance_result_invalid", resp.text
    resp = await post(client, OFFICER, path, {"channel": "green", "note": "晋升瞪羚企业"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["acceptance"]["result"] == "passed" and body["acceptance"]["channel"] == "green"
    assert body["acceptance"]["green_qualifications"] == ["gazelle"]
    assert [q["name"] for q in body["green_channel"]["reached"]] == ["瞪羚企业"]
    resp = await post(client, OFFICER, path, {"channel": "regular", "result": "passed"})
    assert resp.status_code == 409 and resp.json()["code"] == "acceptance_exists", resp.text
    accepted = await events(session, "kunruyi.disbursement.program.accepted", agreement_id)
    assert [(e["result"], e["channel"]) for e in accepted] == [("passed", "green")]


async def test_a_failed_acceptance_ends_the_agreement(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    agreement_id, _ = await agreement_of(client, "f", 952)
    path = f"/api/v1/funding-agreements/{agreement_id}/acceptance"
    resp = await post(client, OFFICER, path, {"channel": "regular"})
    assert resp.status_code == 422 and resp.json()["field"] == "result", resp.text
    resp = await post(client, OFFICER, path, {"channel": "regular", "result": "failed"})
    assert resp.status_code == 422 and resp.json()["field"] == "note", resp.text
    resp = await post(
        client, OFFICER, path, {"channel": "regular", "result": "failed", "note": "产业化未达标"}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "terminated" and [t["status"] for t in body["tranches"]] == ["cancelled"] * 2
    ended = await events(session, "kunruyi.disbursement.program.agreement_ended", agreement_id)
    assert [(e["reason"], e["cancelled_fen"]) for e in ended] == [("acceptance_failed", 50 * M)]
    resp = await release(client, APPROVER, agreement_id, 1)
    assert resp.status_code == 409 and resp.json()["code"] == "agreement_ended", resp.text
