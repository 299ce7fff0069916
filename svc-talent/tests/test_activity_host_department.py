"""Every staff action on an activity belongs to its host department (admins: every department): publishing in
another department's name, registering an attendee, issuing the check-in code, checking in at the door and recording
the outcomes are refused to another department's officer (403 ``other_department``) and change nothing; the public
sign-up and the attendee's own check-in stay open."""

from __future__ import annotations

from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

from .test_activities import OFFICER, body, move_to_past

ELSEWHERE = staff("officer", department="科技局", subject="other-department-officer")
ADMIN = staff("admin", subject="platform-admin")


def refused(r) -> bool:  # type: ignore[no-untyped-def]
    return r.status_code == 403 and r.json()["code"] == "other_department"


async def test_another_departments_officer_cannot_publish_in_the_hosts_name(client, session) -> None:  # type: ignore[no-untyped-def]
    title = "科技局冒名发布的人才办活动"
    async with client(ELSEWHERE) as c:
        r = await c.post("/api/v1/activities", json=body(title=title))
        assert refused(r), r.text
        assert r.json()["field"] == "department"
        own = await c.post("/api/v1/activities", json=body(title="科技局自己的活动", department="科技局"))
        assert own.status_code == 201, own.text
    async with client(ADMIN) as c:
        for_host = await c.post("/api/v1/activities", json=body(title="管理员代人才办发布"))
        assert for_host.status_code == 201 and for_host.json()["department"] == "人才办"
    stored = await session.scalar(text("SELECT count(*) FROM activities WHERE title = :t"), {"t": title})
    assert stored == 0


async def test_another_departments_officer_cannot_act_on_the_hosts_activity(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        aid = (await c.post("/api/v1/activities", json=body(capacity=10))).json()["id"]
        reg = await c.post(f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7611)})
        assert reg.status_code == 201, reg.text
        code = (await c.post(f"/api/v1/activities/{aid}/check-in-code")).json()["code"]

    async with client(ELSEWHERE) as c:
        other_reg = await c.post(f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7612)})
        assert refused(other_reg), other_reg.text
        other_code = await c.post(f"/api/v1/activities/{aid}/check-in-code")
        assert refused(other_code), other_code.text
        assert "expires_at" not in other_code.json()
    # The public sign-up stays open to anyone.
    me = {"name": "孙小红", "phone": "13700007611"}
    async with client(None) as anon:
        signed = await anon.post(f"/api/v1/activities/{aid}/sign-ups", json=me)
        assert signed.status_code == 201, signed.text

    await move_to_past(session, aid, ended=False)
    # So does the attendee's own check-in with the code the host issued.
    async with client(None) as anon:
        mine = await anon.post(f"/api/v1/activities/{aid}/self-check-ins", json={"code": code, **me})
        assert mine.status_code == 200 and mine.json()["checked_in_via"] == "self", mine.text
    async with client(ELSEWHERE) as c:
        door = await c.post(
            f"/api/v1/activities/{aid}/check-ins", json={"code": code, "registration": reg.json()["id"]}
        )
        assert refused(door), door.text
    await move_to_past(session, aid, ended=True)
    async with client(ELSEWHERE) as c:
        outcomes = await c.put(
            f"/api/v1/activities/{aid}/outcomes", json={"cooperation_projects": 99, "negotiations": 99}
        )
        assert refused(outcomes), outcomes.text

    # Nothing changed: the host's registration and the attendee's own, the company not checked in, no outcomes.
    regs = (
        await session.execute(
            text(
                "SELECT attendee_type, attendee, checked_in_via FROM activity_registrations "
                "WHERE activity_id = CAST(:a AS uuid) ORDER BY attendee_type"
            ),
            {"a": aid},
        )
    ).all()
    assert [(r[0], r[2]) for r in regs] == [("enterprise", None), ("person", "self")]
    assert regs[0][1] == make_uscc(7611)
    outcome = (
        await session.execute(
            text("SELECT cooperation_projects, negotiations FROM activities WHERE id = CAST(:a AS uuid)"),
            {"a": aid},
        )
    ).one()
    assert tuple(outcome) == (None, None)

    # The host department's officer (and an admin) still do all of it.
    async with client(OFFICER) as c:
        ok = await c.put(
            f"/api/v1/activities/{aid}/outcomes", json={"cooperation_projects": 2, "negotiations": 5}
        )
        assert ok.status_code == 200 and ok.json()["cooperation_projects"] == 2
    async with client(ADMIN) as c:
        assert (await c.post(f"/api/v1/activities/{aid}/check-in-code")).status_code == 200
