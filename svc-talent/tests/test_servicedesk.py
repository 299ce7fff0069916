"""The service desk through the API: life cycle, access, routing, deadlines, overdue detection and statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk import service
from kunruyi_talent.servicedesk.routing import add_working_days
from kunruyi_talent.servicedesk.schemas import TicketCreate
from sqlalchemy import text

TALENT_OFFICE = staff("officer", department="人才办", subject="han")
POLICE = staff("officer", department="公安局", subject="wang")
USCC = make_uscc(77)


async def test_ticket_life_cycle_and_access(client, session) -> None:  # type: ignore[no-untyped-def]
    qr = Principal(kind="public", subject="qr:abc", target=USCC)
    async with client(qr) as c:
        r = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": "研发费用加计扣除怎么申报",
                "channel": "window",
                "requester_name": "刘女士",
                "requester_phone": "13800001111",
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert set(created) == {"ticket_number", "access_secret", "status", "deadline"}
        number, secret = created["ticket_number"], created["access_secret"]
        assert created["status"] == "submitted"
        mine = await c.get(f"/api/v1/tickets/{number}", params={"secret": secret})
        assert mine.status_code == 200
        assert (mine.json()["department"], mine.json()["officer"]) == ("人才办", "韩主任")
        assert (await c.get(f"/api/v1/tickets/{number}", params={"secret": "wrong"})).status_code == 404
        assert (await c.get("/api/v1/tickets")).status_code == 403

    async with client(POLICE) as c:
        assert (await c.get(f"/api/v1/tickets/{number}")).status_code == 403
        r = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})
        assert r.status_code == 403
        assert number not in [t["ticket_number"] for t in (await c.get("/api/v1/tickets")).json()["items"]]
    async with client(partner("talent:read")) as c:
        assert (
            await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})
        ).status_code == 403

    async with client(TALENT_OFFICE) as c:
        staff_view = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert staff_view["channel"] == "qr" and staff_view["enterprise_uscc"] == USCC
        assert staff_view["requester_phone"] == "138****1111"
        bad = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "x"})
        assert bad.status_code == 409 and bad.json()["allowed_next"] == ["accepted"]
        for step in ("accepted", "in_progress"):
            assert (
                await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
            ).status_code == 200
        no_reply = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "replied"})
        assert (no_reply.status_code, no_reply.json()["field"]) == (422, "reply")
        r = await c.post(
            f"/api/v1/tickets/{number}/transitions",
            json={"to": "replied", "reply": "可在电子税务局申报", "comment": "电话已联系"},
        )
        assert r.status_code == 200
        assert (
            await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "resolved"})
        ).status_code == 200
        assert (
            await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "closed"})
        ).status_code == 200
        assert number in [t["ticket_number"] for t in (await c.get("/api/v1/tickets")).json()["items"]]

    async with client(None) as c:
        not_rated = await c.post(
            f"/api/v1/tickets/{number}/reopen", params={"secret": secret}, json={"comment": "还没有解决"}
        )
        assert (not_rated.status_code, not_rated.json()["code"]) == (409, "reopen_needs_dissatisfied")
        rated = await c.post(
            f"/api/v1/tickets/{number}/rating",
            params={"secret": secret},
            json={"rating": "dissatisfied", "comment": "材料清单不全"},
        )
        assert rated.status_code == 200 and rated.json()["can_reopen"] is True
        reopened = await c.post(
            f"/api/v1/tickets/{number}/reopen", params={"secret": secret}, json={"comment": "还没有解决"}
        )
        assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
        bad_rate = await c.post(
            f"/api/v1/tickets/{number}/rating", params={"secret": secret}, json={"rating": "satisfied"}
        )
        assert bad_rate.status_code == 409
        assert (await c.get(f"/api/v1/tickets/{number}")).status_code == 401
    async with client(TALENT_OFFICE) as c:
        await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已补充材料"})
        await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "resolved"})
    async with client(None) as c:
        rated = await c.post(
            f"/api/v1/tickets/{number}/rating", params={"secret": secret}, json={"rating": "great"}
        )
        assert (rated.status_code, rated.json()["field"]) == (422, "rating")
        rated = await c.post(
            f"/api/v1/tickets/{number}/rating",
            params={"secret": secret},
            json={"rating": "basically_satisfied"},
        )
        assert rated.status_code == 200
        assert (rated.json()["rating_label"], rated.json()["satisfaction"]) == ("基本满意", 3)
        history = rated.json()["history"]
    assert [h["to_status"] for h in history] == [
        "submitted",
        "accepted",
        "in_progress",
        "replied",
        "resolved",
        "closed",
        "closed",
        "in_progress",
        "replied",
        "resolved",
        "resolved",
    ]
    assert history[6]["comment"] == "评价：不满意：材料清单不全"
    assert history[7]["comment"] == "重新打开：还没有解决"
    async with client(TALENT_OFFICE) as c:
        actors = [h["actor"] for h in (await c.get(f"/api/v1/tickets/{number}")).json()["history"]]
    assert actors[:3] == ["public:qr:abc", "staff:han", "staff:han"] and actors[-1] == "requester"

    types = [
        r[0]
        for r in await session.execute(
            text("SELECT type FROM outbox_events WHERE subject = :n ORDER BY seq"), {"n": number}
        )
    ]
    assert types == [
        "kunruyi.talent.ticket.submitted",
        "kunruyi.talent.ticket.replied",
        "kunruyi.talent.ticket.resolved",
        "kunruyi.talent.ticket.rated",
        "kunruyi.talent.ticket.reopened",
        "kunruyi.talent.ticket.replied",
        "kunruyi.talent.ticket.resolved",
        "kunruyi.talent.ticket.rated",
    ]
    raw = (await session.execute(text("SELECT row_to_json(t)::text FROM tickets t"))).scalars().all()
    assert all("13800001111" not in row for row in raw)


async def test_least_loaded_officer_and_bad_input(client) -> None:  # type: ignore[no-untyped-def]
    async with client(TALENT_OFFICE) as c:
        numbers = []
        for i in range(4):
            r = await c.post(
                "/api/v1/tickets",
                json={
                    "type": "其他诉求",
                    "title": f"诉求{i}",
                    "channel": "phone",
                    "requester_phone": "13900000000",
                },
            )
            numbers.append(r.json()["ticket_number"])
        officers = [(await c.get(f"/api/v1/tickets/{n}")).json()["officer"] for n in numbers]
        assert officers == ["韩主任", "杨主任", "朱专员", "韩主任"]
        r = await c.post("/api/v1/tickets", json={"type": "买房", "title": "x"})
        assert (r.status_code, r.json()["field"]) == (422, "type")
        r = await c.post("/api/v1/tickets", json={"type": "落户", "title": "x", "channel": "window"})
        assert (r.status_code, r.json()["field"]) == (422, "requester_phone")
        r = await c.post(
            "/api/v1/tickets",
            json={"type": "落户", "title": "x", "channel": "fax", "requester_phone": "13900000000"},
        )
        assert (r.status_code, r.json()["field"]) == (422, "channel")


def test_working_day_deadlines_skip_weekends_and_holidays() -> None:
    friday = date(2026, 9, 25)
    assert add_working_days(friday, 1) == date(2026, 9, 28)
    holidays = [date(2026, 10, d) for d in range(1, 8)]
    makeup = [date(2026, 10, 10)]  # a Saturday worked in exchange
    assert add_working_days(date(2026, 9, 30), 1, holidays, makeup) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3, holidays, makeup) == date(2026, 10, 10)


async def submit_at(session, settings, when: datetime, type_: str, channel: str = "window") -> str:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    ticket, _ = await service.submit(
        session,
        settings,
        pii,
        TicketCreate(type=type_, title="t", channel=channel, requester_phone="13700000000"),  # type: ignore[arg-type]
        None,
        now=when,
    )
    return ticket.ticket_number


async def test_overdue_detection_and_stats(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    monday = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Kunshan
    # 政策咨询: 3 working days → deadline Thursday 2026-03-05. 落户: 5 → Monday 2026-03-09.
    on_time = await submit_at(session, settings, monday, "政策咨询")
    late = await submit_at(session, settings, monday, "政策咨询", "qr")
    never = await submit_at(session, settings, monday, "政策咨询", "qr")
    police = await submit_at(session, settings, monday, "落户")
    for number, reply_at, resolve in (
        (on_time, datetime(2026, 3, 5, 8, 0, tzinfo=UTC), True),
        (late, datetime(2026, 3, 6, 8, 0, tzinfo=UTC), False),
        (police, datetime(2026, 3, 3, 8, 0, tzinfo=UTC), True),
    ):
        ticket = await service.get_by_number(session, number)
        for step in ("accepted", "in_progress"):
            await service.move(session, ticket, step, "staff:x", now=reply_at)
        await service.move(session, ticket, "replied", "staff:x", reply="答复", now=reply_at)
        if resolve:
            await service.move(session, ticket, "resolved", "staff:x", now=reply_at)
    await service.rate(session, await service.get_by_number(session, on_time), "satisfied", None)
    police_ticket = await service.get_by_number(session, police)
    # Rated 不满意 the next day, reopened, answered and solved again.
    await service.rate(session, police_ticket, "dissatisfied", None, now=datetime(2026, 3, 4, 1, tzinfo=UTC))
    await service.reopen(session, police_ticket, "户口迁入仍未办妥", now=datetime(2026, 3, 4, 2, tzinfo=UTC))
    for step in ("replied", "resolved"):
        await service.move(
            session, police_ticket, step, "staff:x", reply="已办妥", now=datetime(2026, 3, 5, 2, tzinfo=UTC)
        )
    await session.flush()

    async with client(TALENT_OFFICE) as c:
        r = await c.post("/api/v1/service-desk/overdue-scan", params={"as_of": "2026-03-05"})
        assert r.json()["flagged"] == []
        r = await c.post("/api/v1/service-desk/overdue-scan", params={"as_of": "2026-03-06"})
        assert r.json()["flagged"] == [never]
        r = await c.post("/api/v1/service-desk/overdue-scan", params={"as_of": "2026-03-20"})
        assert r.json()["flagged"] == []  # announced once; the late one was replied before
        overdue = (await c.get("/api/v1/tickets", params={"overdue": True})).json()["items"]
        assert [t["ticket_number"] for t in overdue] == [never]

        stats = (await c.get("/api/v1/service-desk/stats", params={"group_by": "department"})).json()
        assert stats["totals"] == {
            "key": "全部",
            "total": 4,
            "replied": 3,
            "solved": 2,
            "on_time": 2,
            "rated": 2,
            "reply_rate": 0.75,
            "solve_rate": 0.5,
            "on_time_rate": 0.5,
            "satisfaction": 3.0,
            "satisfied": 1,
            "dissatisfied": 1,
            "reopened": 1,
            "satisfied_rate": 0.5,
        }
        by_dept = {row["key"]: row for row in stats["items"]}
        assert by_dept["人才办"]["total"] == 3 and by_dept["人才办"]["reply_rate"] == 0.6667
        assert by_dept["人才办"]["on_time_rate"] == 0.3333 and by_dept["人才办"]["satisfaction"] == 5.0
        assert by_dept["公安局"]["solve_rate"] == 1.0
        by_channel = {
            row["key"]: row["total"]
            for row in (await c.get("/api/v1/service-desk/stats", params={"group_by": "channel"})).json()[
                "items"
            ]
        }
        assert by_channel == {"qr": 2, "window": 2}
        by_month = (await c.get("/api/v1/service-desk/stats", params={"group_by": "month"})).json()["items"]
        assert [(r["key"], r["total"]) for r in by_month] == [("2026-03", 4)]
        empty = (await c.get("/api/v1/service-desk/stats", params={"date_from": "2027-01-01"})).json()
        assert (
            empty["totals"]["total"] == 0 and empty["totals"]["reply_rate"] is None and empty["items"] == []
        )
    async with client(Principal(kind="public", subject="qr:1", target=USCC)) as c:
        assert (await c.get("/api/v1/service-desk/stats")).status_code == 403
    events = (
        (
            await session.execute(
                text("SELECT envelope FROM outbox_events WHERE type = 'kunruyi.talent.ticket.overdue'")
            )
        )
        .scalars()
        .all()
    )
    assert [e["data"]["ticket_number"] for e in events] == [never]
    assert set(events[0]["data"]) == {
        "ticket_number",
        "type",
        "channel",
        "department",
        "officer",
        "status",
        "enterprise_uscc",
        "service_code",
        "campaign_id",
        "talent_id",  # pseudonymous: the inbox tells the talent of the reply
    }
    assert events[0]["data"]["campaign_id"] is None


async def test_a_talent_follows_their_own_tickets(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_talent.identifiers import make_resident_id
    from kunruyi_talent.talent import service as talent_service
    from kunruyi_talent.talent.schemas import TalentCreate

    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    me = await talent_service.register(
        session, pii, TalentCreate(name="赵博士", id_number=make_resident_id(88)), "t"
    )
    other = await talent_service.register(
        session, pii, TalentCreate(name="钱博士", id_number=make_resident_id(89)), "t"
    )
    mine_number = await submit_at(session, settings, datetime.now(UTC), "子女入学")
    (await service.get_by_number(session, mine_number)).talent_id = None
    async with client(Principal(kind="public", subject=f"talent:{me.id}")) as c:
        r = await c.post(
            "/api/v1/tickets", json={"type": "子女入学", "title": "孩子入学", "talent_id": str(other.id)}
        )
        assert r.status_code == 201
        number = r.json()["ticket_number"]
        listed = (await c.get("/api/v1/tickets")).json()["items"]
        assert [t["ticket_number"] for t in listed] == [number]
        assert listed[0]["talent_id"] == str(me.id)  # filed for themselves whatever the body says
        view = await c.get(f"/api/v1/tickets/{number}")
        assert view.status_code == 200 and "requester_phone" not in view.json()
        assert (await c.get(f"/api/v1/tickets/{mine_number}")).status_code == 403
    async with client(Principal(kind="public", subject="qr:zz", target=USCC)) as c:
        r = await c.post("/api/v1/tickets", json={"type": "其他诉求", "title": "x", "talent_id": str(me.id)})
        assert r.status_code == 201
    async with client(Principal(kind="public", subject=f"talent:{me.id}")) as c:
        assert len((await c.get("/api/v1/tickets")).json()["items"]) == 1


async def test_tickets_filed_at_the_same_instant_are_spread_over_the_officers(engine, settings) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from kunruyi_common.db import create_sessionmaker

    officers = ["并发甲", "并发乙", "并发丙"]
    department, _ = service.TICKET_TYPES["落户"]
    local = settings.model_copy(update={"department_officers": {department: officers}})
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    sessions = create_sessionmaker(engine)
    start = asyncio.Event()
    filed: list[str] = []

    async def file(n: int) -> str:
        async with sessions() as s, s.begin():
            await start.wait()
            ticket, _ = await service.submit(
                s,
                local,
                pii,
                TicketCreate(
                    type="落户", title=f"并发落户咨询{n}", channel="phone", requester_phone="13700000000"
                ),
                None,
            )
            filed.append(ticket.ticket_number)
            return ticket.officer

    tasks = [asyncio.create_task(file(n)) for n in range(9)]
    await asyncio.sleep(0.2)
    start.set()
    chosen = await asyncio.gather(*tasks)
    try:
        assert sorted(chosen.count(name) for name in officers) == [3, 3, 3], chosen
    finally:
        async with sessions() as s, s.begin():
            await s.execute(text("DELETE FROM tickets WHERE ticket_number = ANY(:n)"), {"n": filed})
            await s.execute(
                text("DELETE FROM outbox_events WHERE envelope->>'subject' = ANY(:n)"), {"n": filed}
            )


async def test_a_signed_in_company_follows_its_own_tickets(client) -> None:  # type: ignore[no-untyped-def]
    other_uscc = make_uscc(78)

    def company(uscc: str) -> Principal:
        return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="测试企业")

    async with client(company(USCC)) as c:
        r = await c.post("/api/v1/tickets", json={"type": "政策咨询", "title": "研发费用怎么申报"})
        assert r.status_code == 201
        mine = r.json()["ticket_number"]
    async with client(company(other_uscc)) as c:
        r = await c.post("/api/v1/tickets", json={"type": "政策咨询", "title": "别家的诉求"})
        assert r.status_code == 201
        theirs = r.json()["ticket_number"]
    # A QR-page visitor holding the company's printed code is not the company: still refused the list.
    async with client(Principal(kind="public", subject="qr:abc", target=USCC)) as c:
        assert (await c.get("/api/v1/tickets")).status_code == 403
    async with client(company(USCC)) as c:
        listed = (await c.get("/api/v1/tickets")).json()["items"]
        assert [t["ticket_number"] for t in listed] == [mine]
        assert listed[0]["enterprise_uscc"] == USCC and listed[0]["status_label"] == "已提交"
        view = await c.get(f"/api/v1/tickets/{mine}")
        assert view.status_code == 200 and view.json()["title"] == "研发费用怎么申报"
        assert "requester_phone" not in view.json()
        assert (await c.get(f"/api/v1/tickets/{theirs}")).status_code == 403
