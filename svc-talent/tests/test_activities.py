"""Activities (活动) through the API on the real database: a 聚链融创 session published with a capacity, companies
and a talent registering (one registration each, the capacity enforced, closed once it has started), check-in by the
activity's signed code (valid, scanned twice, forged, another activity's, expired), outcomes after the event and
statistics per activity and per kind that equal a count made from the raw rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kunruyi_common.clock import local_now
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from sqlalchemy import text

OFFICER = staff("officer", department="人才办", subject="activity-lead")


def body(**extra: Any) -> dict[str, Any]:
    start = local_now().replace(microsecond=0) + timedelta(days=3)
    return {
        "kind": "聚链融创",
        "title": "集成电路产业链聚链融创对接会",
        "department": "人才办",
        "venue": "昆山科创中心 3 楼报告厅",
        # Naive times are Beijing time.
        "starts_at": start.replace(tzinfo=None).isoformat(),
        "ends_at": (start + timedelta(hours=3)).replace(tzinfo=None).isoformat(),
        "capacity": 3,
        "industry_chain": "集成电路",
        **extra,
    }


async def move_to_past(session: Any, activity_id: str, *, ended: bool) -> None:
    await session.execute(
        text(
            "UPDATE activities SET starts_at = now() - interval '5 hours', "
            "ends_at = now() + (CASE WHEN :ended THEN interval '-1 hour' ELSE interval '1 hour' END) "
            "WHERE id = CAST(:id AS uuid)"
        ),
        {"id": activity_id, "ended": ended},
    )


async def test_an_activity_from_publication_to_statistics(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        bad = await c.post("/api/v1/activities", json=body(ends_at=body()["starts_at"]))
        assert bad.status_code == 422 and bad.json()["code"] == "bad_activity_time"
        bad_kind = await c.post("/api/v1/activities", json=body(kind="联欢会"))
        assert bad_kind.status_code == 422

        created = await c.post("/api/v1/activities", json=body())
        assert created.status_code == 201, created.text
        activity = created.json()
        aid = activity["id"]
        assert activity["industry_chain_name"] == "集成电路"
        assert (
            activity["starts_at"].endswith("+08:00")
            and activity["starts_at"][:16] == body()["starts_at"][:16]
        )
        other = (await c.post("/api/v1/activities", json=body(kind="路演", capacity=10))).json()

        talent = await c.post(
            "/api/v1/talents",
            json={"name": "吴工", "id_number": make_resident_id(7301), "education": "master"},
        )
        assert talent.status_code == 201, talent.text
        talent_id = talent.json()["talent_id"]

        regs = []
        for attendee in ({"uscc": make_uscc(7301)}, {"uscc": make_uscc(7302)}, {"talent_id": talent_id}):
            r = await c.post(f"/api/v1/activities/{aid}/registrations", json=attendee)
            assert r.status_code == 201, r.text
            regs.append(r.json())
        assert regs[2]["attendee_type"] == "talent"

        twice = await c.post(f"/api/v1/activities/{aid}/registrations", json={"talent_id": talent_id})
        assert twice.status_code == 409 and twice.json()["code"] == "already_registered"
        full = await c.post(f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7303)})
        assert full.status_code == 409 and full.json()["code"] == "activity_full"
        both = await c.post(
            f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7303), "talent_id": talent_id}
        )
        assert both.status_code == 422 and both.json()["code"] == "attendee_required"

        code = (await c.post(f"/api/v1/activities/{aid}/check-in-code")).json()
        other_code = (await c.post(f"/api/v1/activities/{other['id']}/check-in-code")).json()["code"]

        # The activity starts: registration closes, the phones scan the code.
        await move_to_past(session, aid, ended=False)
        late = await c.post(f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7304)})
        assert late.status_code == 409 and late.json()["code"] == "registration_closed"

        first = await c.post(
            f"/api/v1/activities/{aid}/check-ins", json={"code": code["code"], "registration": regs[0]["id"]}
        )
        assert first.status_code == 200, first.text
        assert first.json()["checked_in_at"] is not None
        again = await c.post(
            f"/api/v1/activities/{aid}/check-ins", json={"code": code["code"], "registration": regs[0]["id"]}
        )
        assert again.status_code == 200 and again.json()["checked_in_at"] == first.json()["checked_in_at"]

        expiry, _, sig = code["code"].partition(".")
        forged = [
            f"{expiry}.{'0' * len(sig)}",  # a made-up signature
            f"{int(expiry) + 86400}.{sig}",  # the expiry stretched
            other_code,  # another activity's code
            "not-a-code",
            f"{expiry}.签到码",  # not even ASCII
        ]
        for wrong in forged:
            r = await c.post(
                f"/api/v1/activities/{aid}/check-ins", json={"code": wrong, "registration": regs[1]["id"]}
            )
            assert r.status_code == 422 and r.json()["code"] == "bad_check_in_code", (wrong, r.text)
        talent_in = await c.post(
            f"/api/v1/activities/{aid}/check-ins", json={"code": code["code"], "registration": regs[2]["id"]}
        )
        assert talent_in.status_code == 200
        stranger = await c.post(
            f"/api/v1/activities/{other['id']}/check-ins",
            json={"code": other_code, "registration": regs[1]["id"]},
        )
        assert stranger.status_code == 404 and stranger.json()["code"] == "registration_not_found"

        early = await c.put(
            f"/api/v1/activities/{aid}/outcomes", json={"cooperation_projects": 11, "negotiations": 21}
        )
        assert early.status_code == 409 and early.json()["code"] == "activity_not_over"

        # After the event: the code has expired, the outcomes are recorded (合作超10项、商洽超20项).
        await move_to_past(session, aid, ended=True)
        expired = await c.post(
            f"/api/v1/activities/{aid}/check-ins", json={"code": code["code"], "registration": regs[1]["id"]}
        )
        assert expired.status_code == 422 and expired.json()["code"] == "bad_check_in_code"
        done = await c.put(
            f"/api/v1/activities/{aid}/outcomes", json={"cooperation_projects": 11, "negotiations": 21}
        )
        assert done.status_code == 200, done.text

    # Reading is public.
    async with client(None) as anon:
        listed = (await anon.get("/api/v1/activities", params={"kind": "聚链融创"})).json()["items"]
        assert aid in [a["id"] for a in listed]
        stats = (await anon.get(f"/api/v1/activities/{aid}/stats")).json()
        by_kind = {k["kind"]: k for k in (await anon.get("/api/v1/activities/stats")).json()["items"]}

    raw = (
        await session.execute(
            text(
                "SELECT count(*), count(checked_in_at) FROM activity_registrations "
                "WHERE activity_id = CAST(:id AS uuid)"
            ),
            {"id": aid},
        )
    ).one()
    assert (stats["registered"], stats["checked_in"]) == (raw[0], raw[1]) == (3, 2)
    assert stats["attendance_rate"] == round(2 / 3, 4)
    assert (stats["cooperation_projects"], stats["negotiations"]) == (11, 21)
    kind_raw = {
        row[0]: tuple(row[1:])
        for row in await session.execute(
            text(
                "SELECT a.kind, count(DISTINCT a.id), count(r.id), count(r.checked_in_at), "
                "(SELECT coalesce(sum(cooperation_projects), 0) FROM activities WHERE kind = a.kind), "
                "(SELECT coalesce(sum(negotiations), 0) FROM activities WHERE kind = a.kind) "
                "FROM activities a LEFT JOIN activity_registrations r ON r.activity_id = a.id GROUP BY a.kind"
            )
        )
    }
    assert {
        kind: (
            k["activities"],
            k["registered"],
            k["checked_in"],
            k["cooperation_projects"],
            k["negotiations"],
        )
        for kind, k in by_kind.items()
    } == kind_raw
    assert by_kind["聚链融创"]["cooperation_projects"] >= 11 and by_kind["路演"]["activities"] >= 1


async def test_registration_and_check_in_need_an_officer(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        aid = (await c.post("/api/v1/activities", json=body(kind="沙龙"))).json()["id"]
    async with client(staff("reviewer", department="人才办", subject="reader")) as c:
        r = await c.post(f"/api/v1/activities/{aid}/registrations", json={"uscc": make_uscc(7310)})
        assert r.status_code == 403
        assert (await c.post(f"/api/v1/activities/{aid}/check-in-code")).status_code == 403
        assert (await c.get(f"/api/v1/activities/{aid}")).status_code == 200
