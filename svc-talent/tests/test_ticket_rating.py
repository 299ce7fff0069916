"""The requester's follow-up on an answer: a rating (满意 / 基本满意 / 不满意, once per answer) and a reopen that
only a 不满意 allows, once, within 7 days of the reply — by query code, or as the signed-in company or talent that
filed the ticket; another company's ticket is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kunruyi_common.auth import Principal
from kunruyi_common.context import using_settings
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.messages import consumers
from kunruyi_talent.servicedesk import service
from kunruyi_talent.servicedesk.exceptions import ReopenWindowClosed
from sqlalchemy import text

OFFICE = staff("officer", department="人才办", subject="han")
USCC, OTHER = make_uscc(91), make_uscc(92)


def company(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="测试企业")


async def file_and_answer(client, principal: Principal) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    async with client(principal) as c:
        r = await c.post("/api/v1/tickets", json={"type": "政策咨询", "title": "高企认定的材料"})
        assert r.status_code == 201, r.text
        number, secret = r.json()["ticket_number"], r.json()["access_secret"]
    async with client(OFFICE) as c:
        for step in ("accepted", "in_progress"):
            assert (
                await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
            ).status_code == 200
        r = await c.post(
            f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "材料清单见附件"}
        )
        assert r.status_code == 200
    return number, secret


async def test_a_rating_is_given_once_per_answer_and_only_after_it(client) -> None:  # type: ignore[no-untyped-def]
    async with client(company(USCC)) as c:
        r = await c.post("/api/v1/tickets", json={"type": "政策咨询", "title": "还没答复的诉求"})
        early = await c.post(
            f"/api/v1/tickets/{r.json()['ticket_number']}/rating", json={"rating": "satisfied"}
        )
        assert (early.status_code, early.json()["code"]) == (409, "not_yet_replied")
    number, _ = await file_and_answer(client, company(USCC))
    async with client(company(USCC)) as c:
        before = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert (before["can_rate"], before["can_reopen"], before["rating"]) == (True, False, None)
        r = await c.post(
            f"/api/v1/tickets/{number}/rating", json={"rating": "satisfied", "comment": "很及时"}
        )
        assert r.status_code == 200
        assert (r.json()["rating"], r.json()["rating_label"], r.json()["can_rate"]) == (
            "satisfied",
            "满意",
            False,
        )
        again = await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "dissatisfied"})
        assert (again.status_code, again.json()["code"]) == (409, "already_rated")
        # 满意 does not reopen.
        r = await c.post(f"/api/v1/tickets/{number}/reopen", json={"comment": "想再问问"})
        assert (r.status_code, r.json()["code"]) == (409, "reopen_needs_dissatisfied")
        assert (await c.get(f"/api/v1/tickets/{number}")).json()["status"] == "replied"


async def test_dissatisfied_reopens_once_back_to_the_department(client, session) -> None:  # type: ignore[no-untyped-def]
    number, secret = await file_and_answer(client, company(USCC))
    async with client(None) as c:
        r = await c.post(
            f"/api/v1/tickets/{number}/rating", params={"secret": secret}, json={"rating": "dissatisfied"}
        )
        assert r.status_code == 200 and r.json()["can_reopen"] is True and r.json()["reopen_until"]
        empty = await c.post(
            f"/api/v1/tickets/{number}/reopen", params={"secret": secret}, json={"comment": ""}
        )
        assert (empty.status_code, empty.json()["field"]) == (422, "comment")
        r = await c.post(
            f"/api/v1/tickets/{number}/reopen",
            params={"secret": secret},
            json={"comment": "清单缺少审计报告要求"},
        )
        assert r.status_code == 200 and r.json()["status"] == "in_progress"
        twice = await c.post(
            f"/api/v1/tickets/{number}/reopen", params={"secret": secret}, json={"comment": "再开一次"}
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "already_reopened")
    # Back in the department's queue, with the reason in its history.
    async with client(OFFICE) as c:
        queue = (await c.get("/api/v1/tickets", params={"status": "in_progress"})).json()["items"]
        assert number in [t["ticket_number"] for t in queue]
        detail = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert detail["history"][-1]["comment"] == "重新打开：清单缺少审计报告要求"
        assert detail["history"][-1]["actor"] == "requester"
        # The new answer may be rated again.
        r = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已补充"})
        assert r.json()["can_rate"] is True
    types = [
        row[0]
        for row in await session.execute(
            text("SELECT type FROM outbox_events WHERE subject = :n ORDER BY seq"), {"n": number}
        )
    ]
    assert types[-3:] == [
        "kunruyi.talent.ticket.rated",
        "kunruyi.talent.ticket.reopened",
        "kunruyi.talent.ticket.replied",
    ]


async def test_the_reopen_window_is_seven_days_from_the_reply(client, session) -> None:  # type: ignore[no-untyped-def]
    number, _ = await file_and_answer(client, company(USCC))
    ticket = await service.get_by_number(session, number)
    assert ticket.last_replied_at is not None
    replied = ticket.last_replied_at
    await service.rate(session, ticket, "dissatisfied", None, now=replied + timedelta(days=1))
    assert service.requester_options(ticket, replied + timedelta(days=7)).can_reopen
    late = replied + timedelta(days=7, minutes=1)
    assert not service.requester_options(ticket, late).can_reopen
    with pytest.raises(ReopenWindowClosed):
        await service.reopen(session, ticket, "超过七天", now=late)
    assert ticket.status == "replied"
    await service.reopen(session, ticket, "七天之内", now=replied + timedelta(days=6))
    assert ticket.status == "in_progress"


async def test_only_the_requester_may_rate_or_reopen(client) -> None:  # type: ignore[no-untyped-def]
    number, secret = await file_and_answer(client, company(USCC))
    async with client(company(OTHER)) as c:
        r = await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "dissatisfied"})
        assert (r.status_code, r.json()["code"]) == (403, "not_own_entity")
        r = await c.post(f"/api/v1/tickets/{number}/reopen", json={"comment": "别家的"})
        assert (r.status_code, r.json()["code"]) == (403, "not_own_entity")
    # A QR visitor holding the company's printed code is not the company: it needs the query code.
    async with client(Principal(kind="public", subject="qr:abc", target=USCC)) as c:
        assert (
            await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "satisfied"})
        ).status_code == 403
    async with client(None) as c:
        assert (
            await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "satisfied"})
        ).status_code == 401
        wrong = await c.post(
            f"/api/v1/tickets/{number}/rating", params={"secret": "wrong"}, json={"rating": "satisfied"}
        )
        assert wrong.status_code == 404
    # A signed-in talent reaches only their own tickets.
    talent = Principal(kind="public", subject="talent:8d1f0c57-3a9e-4b8e-9d70-0c3c2a1b4e55", target=None)
    async with client(talent) as c:
        assert (
            await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "satisfied"})
        ).status_code == 403
    async with client(OFFICE) as c:
        r = await c.get(f"/api/v1/tickets/{number}")
        assert r.json()["rating"] is None  # none of the refused attempts counted


async def test_satisfaction_counts_in_the_desk_statistics(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICE) as c:
        before = (await c.get("/api/v1/service-desk/stats")).json()["totals"]
    for rating in ("satisfied", "basically_satisfied", "dissatisfied"):
        number, secret = await file_and_answer(client, company(USCC))
        async with client(None) as c:
            r = await c.post(
                f"/api/v1/tickets/{number}/rating", params={"secret": secret}, json={"rating": rating}
            )
            assert r.status_code == 200
    async with client(OFFICE) as c:
        after = (await c.get("/api/v1/service-desk/stats")).json()["totals"]
    assert after["rated"] - before["rated"] == 3
    assert after["satisfied"] - before["satisfied"] == 2
    assert after["dissatisfied"] - before["dissatisfied"] == 1
    assert after["satisfied_rate"] == round(after["satisfied"] / after["rated"], 4)


async def test_a_reopened_ticket_is_marked_first_for_the_department_and_told_to_the_requester(  # type: ignore[no-untyped-def]
    client, session, settings
) -> None:
    uscc = make_uscc(93)
    number, _ = await file_and_answer(client, company(uscc))
    async with client(company(uscc)) as c:
        assert (
            await c.post(f"/api/v1/tickets/{number}/rating", json={"rating": "dissatisfied"})
        ).status_code == 200
        r = await c.post(f"/api/v1/tickets/{number}/reopen", json={"comment": "审计报告的要求没说清楚"})
        assert r.status_code == 200, r.text
    async with client(OFFICE) as c:
        marked = (await c.get("/api/v1/tickets", params={"reopened": "true"})).json()["items"]
        assert [(t["ticket_number"], t["reopened"]) for t in marked] == [(number, True)]
        assert marked[0]["reopened_at"]
        others = (await c.get("/api/v1/tickets", params={"reopened": "false"})).json()["items"]
        assert number not in [t["ticket_number"] for t in others]
        # Answered again: no longer marked.
        r = await c.post(
            f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已补充要求"}
        )
        assert r.status_code == 200 and r.json()["reopened"] is False
        assert (await c.get("/api/v1/tickets", params={"reopened": "true"})).json()["items"] == []

    # The requester's inbox: the reopen event (as published) becomes one message, however often delivered.
    envelope = await session.scalar(
        text("SELECT envelope FROM outbox_events WHERE subject = :n AND type = :t ORDER BY seq DESC LIMIT 1"),
        {"n": number, "t": consumers.TICKET_REOPENED},
    )
    reopened = CloudEvent.model_validate(envelope)
    with using_settings(settings):
        for _ in range(2):
            await consumers.TALENT_HANDLERS[reopened.type](session, reopened)
    async with client(company(uscc)) as c:
        items = (await c.get("/api/v1/messages")).json()["items"]
    told = [m for m in items if m["kind"] == "ticket_reopened"]
    assert len(told) == 1 and told[0]["title"] == f"您的诉求已重新打开：{number}"
    assert "人才办" in told[0]["body"] and "重新办理" in told[0]["body"]
