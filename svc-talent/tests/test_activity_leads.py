"""Leads (线索) at an activity on the real database: at a 聚链融创 session the host officer records a company's needs,
cooperations (合作) and negotiations (商洽); one need becomes a service ticket (channel ``activity``, routed like any
other), another a technology demand — by the ``activity_lead.converted`` event svc-matching files it from, its
``demand.submitted`` bringing the demand id back — and the activity's report counts leads → conversions, equal to a
count made from the raw rows. Refusals write nothing."""

from __future__ import annotations

import json
from typing import Any

from kunruyi_common.events.envelope import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.servicelists import consumers
from sqlalchemy import text

from .test_activities import OFFICER, body, move_to_past

LEAD_CONVERTED = "kunruyi.talent.activity_lead.converted"


async def test_leads_convert_into_a_ticket_and_a_demand(client, session) -> None:  # type: ignore[no-untyped-def]
    chip, packager = make_uscc(7401), make_uscc(7402)
    async with client(OFFICER) as c:
        for uscc, name in ((chip, "昆山芯联微电子有限公司"), (packager, "昆山封测科技有限公司")):
            r = await c.post(
                "/api/v1/enterprises",
                json={"uscc": uscc, "name": name, "district": "开发区", "industry_chain": "集成电路"},
            )
            assert r.status_code == 201, r.text
        aid = (await c.post("/api/v1/activities", json=body(capacity=50))).json()["id"]
        url = f"/api/v1/activities/{aid}/leads"

        early = await c.post(url, json={"kind": "need", "uscc": chip, "content": "扩产需要贷款"})
        assert early.status_code == 409 and early.json()["code"] == "activity_not_started"
        await move_to_past(session, aid, ended=False)

        unregistered = await c.post(
            url, json={"kind": "need", "uscc": make_uscc(7409), "content": "需要厂房"}
        )
        assert unregistered.status_code == 422 and unregistered.json()["code"] == "enterprise_not_registered"

        async def lead(**data: Any) -> dict[str, Any]:
            r = await c.post(url, json=data)
            assert r.status_code == 201, r.text
            return dict(r.json())

        loan = await lead(kind="need", uscc=chip, content="扩产需要中长期贷款，联系人 13912345678")
        assert loan["content"] == "扩产需要中长期贷款，联系人 139****5678" and loan["status"] == "open"
        warpage = await lead(kind="need", uscc=packager, content="晶圆级封装翘曲控制需要高校团队攻关")
        anonymous = await lead(kind="need", content="一位参会者想了解人才公寓")
        for n in range(3):
            await lead(kind="cooperation", uscc=chip, party=f"合作方{n}", content=f"签约合作项目{n}")
        for n in range(2):
            await lead(kind="negotiation", uscc=packager, party=f"洽谈方{n}", content=f"意向洽谈{n}")

        def conversion(lead_id: str) -> str:
            return f"{url}/{lead_id}/conversion"

        ticket = await c.post(conversion(loan["id"]), json={"to": "ticket", "type": "融资需求"})
        assert ticket.status_code == 200, ticket.text
        number = ticket.json()["ticket_number"]
        assert ticket.json()["converted_to"] == "ticket" and number
        twice = await c.post(conversion(loan["id"]), json={"to": "ticket", "type": "融资需求"})
        assert twice.status_code == 409 and twice.json()["code"] == "lead_already_converted"

        no_chain = await c.post(conversion(warpage["id"]), json={"to": "demand", "demand_type": "技术攻关"})
        assert no_chain.status_code == 422 and no_chain.json()["code"] == "conversion_field_required"
        unknown_chain = await c.post(
            conversion(warpage["id"]),
            json={
                "to": "demand",
                "industry_chain": "火星",
                "technical_field": "先进封装",
                "demand_type": "技术攻关",
            },
        )
        assert unknown_chain.status_code == 422 and unknown_chain.json()["field"] == "industry_chain"
        demand = await c.post(
            conversion(warpage["id"]),
            json={
                "to": "demand",
                "industry_chain": "集成电路",
                "technical_field": "先进封装",
                "demand_type": "技术攻关",
            },
        )
        assert demand.status_code == 200, demand.text
        assert demand.json()["converted_to"] == "demand" and demand.json()["demand_id"] is None

        personless = await c.post(conversion(anonymous["id"]), json={"to": "demand"})
        assert personless.status_code == 422 and personless.json()["code"] == "lead_needs_company"
        listed = (await c.get(url)).json()["items"]
        # The list says where the ticket stands and who handles it, so the console need not ask per lead.
        as_ticket = next(i for i in listed if i["id"] == loan["id"])
        assert (as_ticket["ticket_number"], as_ticket["ticket_status"], as_ticket["ticket_department"]) == (
            number,
            "submitted",
            "金融监管局",
        )
        assert all(i["ticket_status"] is None for i in listed if i["id"] != loan["id"])
        cooperation_id = next(i["id"] for i in listed if i["kind"] == "cooperation")
        not_a_need = await c.post(conversion(cooperation_id), json={"to": "ticket", "type": "其他诉求"})
        assert not_a_need.status_code == 409 and not_a_need.json()["code"] == "lead_not_convertible"

    # The ticket is routed like any other (融资需求 → 金融监管局), on the activity channel.
    routed = (
        await session.execute(
            text("SELECT channel, department, enterprise_uscc FROM tickets WHERE ticket_number = :n"),
            {"n": number},
        )
    ).one()
    assert tuple(routed) == ("activity", "金融监管局", chip)

    # The event svc-matching files the demand from; its demand.submitted brings the demand id back.
    envelopes = [
        json.loads(row[0])
        for row in await session.execute(
            text("SELECT envelope::text FROM outbox_events WHERE type = :t ORDER BY seq"),
            {"t": LEAD_CONVERTED},
        )
    ]
    assert [(e["data"]["to"], e["data"]["lead_id"]) for e in envelopes] == [
        ("ticket", loan["id"]),
        ("demand", warpage["id"]),
    ]
    sent = envelopes[1]["data"]
    assert (sent["industry_chain"], sent["technical_field"], sent["enterprise_uscc"]) == (
        "semiconductor",
        "advanced_packaging",
        packager,
    )
    await consumers.on_demand(
        session,
        CloudEvent(
            source="matching",
            type=consumers.DEMAND_SUBMITTED,
            subject="d",
            data={
                "demand_id": "6d1f0c55-2b8e-4d3e-9a61-3f1c2d4e5b6a",
                "enterprise_uscc": packager,
                "title": sent["title"],
                "industry_chain": "semiconductor",
                "technical_field": "advanced_packaging",
                "demand_type": "技术攻关",
                "channel": "activity",
                "status": "pending_review",
                "lead_id": warpage["id"],
                "submitted_by": "service:talent-activity-lead",
            },
        ),
    )
    await session.commit()

    async with client(OFFICER) as c:
        listed = (await c.get(f"/api/v1/activities/{aid}/leads")).json()
        by_id = {i["id"]: i for i in listed["items"]}
        assert by_id[warpage["id"]]["demand_id"] == "6d1f0c55-2b8e-4d3e-9a61-3f1c2d4e5b6a"
        counts = listed["counts"]
    async with client(None) as anon:
        stats = (await anon.get(f"/api/v1/activities/{aid}/stats")).json()
        by_kind = {k["kind"]: k for k in (await anon.get("/api/v1/activities/stats")).json()["items"]}
    raw = (
        await session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE kind = 'need'), count(*) FILTER (WHERE status = 'converted'), "
                "count(*) FILTER (WHERE converted_to = 'ticket'), count(*) FILTER (WHERE converted_to = 'demand'), "
                "count(*) FILTER (WHERE kind = 'cooperation'), count(*) FILTER (WHERE kind = 'negotiation') "
                "FROM activity_leads WHERE activity_id = CAST(:id AS uuid)"
            ),
            {"id": aid},
        )
    ).one()
    names = ("leads", "needs", "converted", "to_tickets", "to_demands", "cooperations", "negotiations")
    assert tuple(stats["leads"][n] for n in names) == tuple(raw) == (8, 3, 2, 1, 1, 3, 2)
    assert counts == stats["leads"] == by_kind["聚链融创"]["leads"]

    # Another department's officer neither records nor reads this activity's leads.
    async with client(staff("officer", department="科技局", subject="other-host")) as c:
        other = await c.post(f"/api/v1/activities/{aid}/leads", json={"kind": "need", "content": "别的部门"})
        assert other.status_code == 403 and other.json()["code"] == "other_department"
        assert (await c.get(f"/api/v1/activities/{aid}/leads")).status_code == 403
    assert (
        await session.execute(
            text("SELECT count(*) FROM activity_leads WHERE activity_id = CAST(:id AS uuid)"), {"id": aid}
        )
    ).scalar_one() == 8
