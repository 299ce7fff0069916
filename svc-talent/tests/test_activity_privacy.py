"""Personal data around activities: a lead's conversion title typed by an officer is masked before the ticket and
the ``activity_lead.converted`` event (the outbox → NATS) get it; and the anonymous sign-up answers no question about
another person's registration — a registered phone under another name is answered exactly as an unregistered phone
(full: ``activity_full``; room left: registered as another person), while the same name and phone are still told
they are registered."""

from __future__ import annotations

import json
from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

from .test_activities import OFFICER, body, move_to_past

PHONE = "13812345678"
LEAD_CONVERTED = "kunruyi.talent.activity_lead.converted"


async def test_a_conversion_title_is_masked_in_the_event_and_the_answers(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7621)
    async with client(OFFICER) as c:
        r = await c.post(
            "/api/v1/enterprises",
            json={
                "uscc": uscc,
                "name": "昆山回电科技有限公司",
                "district": "开发区",
                "industry_chain": "集成电路",
            },
        )
        assert r.status_code == 201, r.text
        aid = (await c.post("/api/v1/activities", json=body(capacity=20))).json()["id"]
        await move_to_past(session, aid, ended=False)
        url = f"/api/v1/activities/{aid}/leads"
        leads = []
        for content in ("需要流动资金贷款", "晶圆级封装需要高校团队攻关"):
            made = await c.post(url, json={"kind": "need", "uscc": uscc, "content": content})
            assert made.status_code == 201, made.text
            leads.append(made.json()["id"])
        answers: list[str] = []
        as_ticket = await c.post(
            f"{url}/{leads[0]}/conversion",
            json={"to": "ticket", "type": "融资需求", "title": f"回电 {PHONE}"},
        )
        assert as_ticket.status_code == 200, as_ticket.text
        as_demand = await c.post(
            f"{url}/{leads[1]}/conversion",
            json={
                "to": "demand",
                "title": f"回电 {PHONE}",
                "industry_chain": "集成电路",
                "technical_field": "先进封装",
                "demand_type": "技术攻关",
            },
        )
        assert as_demand.status_code == 200, as_demand.text
        answers += [as_ticket.text, as_demand.text, (await c.get(url)).text]
        number = as_ticket.json()["ticket_number"]
    async with client(staff("officer", department="金融监管局", subject="finance-desk")) as c:
        ticket = await c.get(f"/api/v1/tickets/{number}")
        assert ticket.status_code == 200 and ticket.json()["title"] == "回电 138****5678", ticket.text
        answers.append(ticket.text)

    rows = [
        row[0]
        for row in await session.execute(
            text("SELECT envelope::text FROM outbox_events WHERE type = :t ORDER BY seq"),
            {"t": LEAD_CONVERTED},
        )
    ]
    mine = [json.loads(e)["data"] for e in rows if json.loads(e)["data"]["activity_id"] == aid]
    assert [e["title"] for e in mine] == ["回电 138****5678", "回电 138****5678"]
    for blob in [*rows, *answers]:
        assert PHONE not in blob
    stored_title = await session.scalar(
        text("SELECT title FROM tickets WHERE ticket_number = :n"), {"n": number}
    )
    assert stored_title == "回电 138****5678"


def problem(r: Any) -> tuple[int, str | None]:
    return r.status_code, r.json().get("code")


async def test_sign_up_does_not_tell_whether_a_phone_is_registered(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        aid = (await c.post("/api/v1/activities", json=body(capacity=2))).json()["id"]
    url = f"/api/v1/activities/{aid}/sign-ups"
    victim = {"name": "李秀英", "phone": PHONE}
    async with client(None) as anon:
        assert (await anon.post(url, json=victim)).status_code == 201
        # The same person again (the phone written another way): told they are registered.
        again = await anon.post(url, json={"name": " 李秀英 ", "phone": "138-1234-5678"})
        assert problem(again) == (409, "already_registered")

        # Room left: the victim's phone under another name is another person, as an unregistered phone would be.
        other_name = await anon.post(url, json={"name": "张冒名", "phone": PHONE})
        assert other_name.status_code == 201, other_name.text
        assert other_name.json()["phone_masked"] == "138****5678"

        # Full now: a registered phone with a wrong name and an unregistered phone get the very same answer.
        probe = await anon.post(url, json={"name": "王猜测", "phone": PHONE})
        stranger = await anon.post(url, json={"name": "王猜测", "phone": "13900007621"})
        assert problem(probe) == problem(stranger) == (409, "activity_full")
        assert probe.json()["field"] == stranger.json()["field"]
        assert probe.json()["detail"] == stranger.json()["detail"]
        # The person registered is still told so, full or not.
        assert problem(await anon.post(url, json=victim)) == (409, "already_registered")

    names = sorted(
        r[0]
        for r in await session.execute(
            text("SELECT attendee_name FROM activity_registrations WHERE activity_id = CAST(:a AS uuid)"),
            {"a": aid},
        )
    )
    assert names == sorted(["李秀英", "张冒名"])
