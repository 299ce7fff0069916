"""Who a ticket's requester is, and what is kept of them.

A talent's ticket (filed by the talent, or for them at a window) is the talent's own, even when it names the company
they work for: the company signed in through 苏商通 neither lists it, reads it, rates it nor reopens it. And the
requester's name is free text like the title: a resident ID, phone or bank card number typed into it is stored and
shown masked."""

from __future__ import annotations

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import TalentCreate
from sqlalchemy import text

OFFICE = staff("officer", department="人才办", subject="han")
ADMIN = staff("admin", subject="root")
USCC = make_uscc(171)


def company(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="测试企业")


async def test_a_talents_ticket_naming_their_company_is_not_the_companys(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    me = await talent_service.register(
        session, pii, TalentCreate(name="孙博士", id_number=make_resident_id(171)), "t"
    )
    talent = Principal(kind="public", subject=f"talent:{me.id}")
    async with client(talent) as c:
        r = await c.post(
            "/api/v1/tickets",
            json={"type": "医疗保健", "title": "家人就医绿色通道", "enterprise_uscc": USCC},
        )
        assert r.status_code == 201, r.text
        private = r.json()["ticket_number"]
    async with client(company(USCC)) as c:
        r = await c.post("/api/v1/tickets", json={"type": "政策咨询", "title": "企业自己的诉求"})
        own = r.json()["ticket_number"]
    async with client(ADMIN) as c:
        for number in (private, own):
            for step in ("accepted", "in_progress"):
                r = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
                assert r.status_code == 200, r.text
            r = await c.post(
                f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已安排"}
            )
            assert r.status_code == 200, r.text

    async with client(company(USCC)) as c:
        listed = [t["ticket_number"] for t in (await c.get("/api/v1/tickets")).json()["items"]]
        assert listed == [own]
        assert (await c.get(f"/api/v1/tickets/{own}")).status_code == 200
        assert (await c.get(f"/api/v1/tickets/{private}")).status_code == 403
        r = await c.post(f"/api/v1/tickets/{private}/rating", json={"rating": "dissatisfied"})
        assert (r.status_code, r.json()["code"]) == (403, "not_own_entity")
        r = await c.post(f"/api/v1/tickets/{private}/reopen", json={"comment": "不满意"})
        assert (r.status_code, r.json()["code"]) == (403, "not_own_entity")
    # The talent still follows and rates it.
    async with client(talent) as c:
        assert [t["ticket_number"] for t in (await c.get("/api/v1/tickets")).json()["items"]] == [private]
        r = await c.post(f"/api/v1/tickets/{private}/rating", json={"rating": "satisfied"})
        assert r.status_code == 200 and r.json()["rating"] == "satisfied"


async def test_personal_numbers_typed_into_the_requester_name_are_masked(client, session) -> None:  # type: ignore[no-untyped-def]
    rid = make_resident_id(172)
    async with client(OFFICE) as c:
        r = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": "咨询",
                "channel": "window",
                "requester_name": f"刘{rid}",
                "requester_phone": "13800001111",
            },
        )
        assert r.status_code == 201, r.text
        number = r.json()["ticket_number"]
        view = (await c.get(f"/api/v1/tickets/{number}")).json()
        listed = (await c.get("/api/v1/tickets")).json()["items"]
    shown = [view["requester_name"], *(t["requester_name"] for t in listed if t["ticket_number"] == number)]
    assert len(shown) == 2
    for name in shown:
        assert rid not in name and rid[6:14] not in name and name.startswith("刘")
    stored = await session.scalar(
        text("SELECT requester_name FROM tickets WHERE ticket_number = :n"), {"n": number}
    )
    assert rid not in stored and rid[6:14] not in stored


async def test_names_stored_before_are_masked_by_talent_0025(infra) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import uuid

    import asyncpg
    from alembic import command
    from kunruyi_launcher.testing import database_at

    rid = make_resident_id(173)
    cfg, dsn = await database_at(infra, "kunruyi_talent", "talent_requester_name_migration", "talent_0024")
    conn = await asyncpg.connect(dsn)
    ids = [uuid.uuid4(), uuid.uuid4()]
    try:
        for n, (row_id, name) in enumerate(zip(ids, (f"王{rid}，电话13912345678", "王先生"), strict=True)):
            await conn.execute(
                "INSERT INTO tickets (id, ticket_number, access_secret_hash, type, title, description, channel, "
                "requester_kind, requester_name, department, officer, status, deadline, submitted_at) VALUES "
                "($1, $2, 'h', '政策咨询', '咨询', '', 'window', 'person', $3, '人才办', '韩主任', 'submitted', "
                "'2026-12-31', now())",
                row_id,
                f"KSM{n}",
                name,
            )
        for _ in range(2):  # a second run changes nothing
            await asyncio.to_thread(command.downgrade, cfg, "talent_0024")
            await asyncio.to_thread(command.upgrade, cfg, "head")
        masked, plain = [
            await conn.fetchval("SELECT requester_name FROM tickets WHERE id = $1", row_id) for row_id in ids
        ]
    finally:
        await conn.close()
    assert rid not in masked and rid[6:14] not in masked and "13912345678" not in masked
    assert masked.startswith("王") and "139****5678" in masked
    assert plain == "王先生"
