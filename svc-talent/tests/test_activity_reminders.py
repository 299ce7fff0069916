"""The day-before reminder of an activity, by the sms-sender's periodic tick on the real database: each registration
of an activity starting tomorrow (Beijing date) gets one reminder — a company or talent in its inbox (SMS per its
preferences), a person registered with name and phone by SMS — and a second tick sends nothing again; an activity
starting later is not reminded yet."""

from __future__ import annotations

from datetime import timedelta

from kunruyi_common.clock import local_now
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from kunruyi_talent.messages.sender import remind_activities
from sqlalchemy import text

from .test_activities import OFFICER, body
from .test_messages import quiet_free  # noqa: F401 — the fixture


async def test_registrations_are_reminded_once_the_day_before(client, session, quiet_free) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tomorrow = (local_now() + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    async with client(OFFICER) as c:
        soon = (
            await c.post(
                "/api/v1/activities",
                json=body(
                    capacity=10,
                    starts_at=tomorrow.replace(tzinfo=None).isoformat(),
                    ends_at=(tomorrow + timedelta(hours=2)).replace(tzinfo=None).isoformat(),
                ),
            )
        ).json()["id"]
        later = (await c.post("/api/v1/activities", json=body(kind="路演", capacity=10))).json()["id"]
        talent_id = (
            await c.post(
                "/api/v1/talents",
                json={"name": "周工", "id_number": make_resident_id(7501), "phone": "13912345001"},
            )
        ).json()["talent_id"]
        for aid in (soon, later):
            for attendee in ({"uscc": make_uscc(7501)}, {"talent_id": talent_id}):
                r = await c.post(f"/api/v1/activities/{aid}/registrations", json=attendee)
                assert r.status_code == 201, r.text
    async with client(None) as anon:
        r = await anon.post(
            f"/api/v1/activities/{soon}/sign-ups", json={"name": "陈女士", "phone": "13812345002"}
        )
        assert r.status_code == 201, r.text

    assert await remind_activities(session) == 3
    assert await remind_activities(session) == 0  # once per registration
    await session.commit()
    messages = (
        await session.execute(
            text(
                "SELECT m.recipient_type, m.title, d.phone_masked FROM messages m "
                "LEFT JOIN sms_deliveries d ON d.message_id = m.id WHERE m.kind = 'activity_reminder' "
                "ORDER BY m.recipient_type"
            )
        )
    ).all()
    title = "明天的活动：集成电路产业链聚链融创对接会"
    assert [tuple(m) for m in messages] == [
        ("enterprise", title, None),  # no contact on file: the inbox only
        ("person", title, "138****5002"),
        ("talent", title, "139****5001"),
    ]
    not_yet = (
        await session.execute(
            text(
                "SELECT count(*) FROM activity_registrations WHERE activity_id = CAST(:id AS uuid) AND reminded_at IS NULL"
            ),
            {"id": later},
        )
    ).scalar_one()
    assert not_yet == 2
