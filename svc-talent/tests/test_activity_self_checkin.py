"""Activities on 昆e服 through the API on the real database: registering from the phone (a signed-in company or
talent registers itself, anyone else with name and phone — the phone encrypted, masked, one registration per name
and phone),
the attendee checking themselves in with the activity's signed code (too early, forged, expired, not registered, a
full activity, a finished one, a second scan), and the organisers' list of registrations (host department only)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_now
from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.activities import service
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from sqlalchemy import text

OFFICER = staff("officer", department="人才办", subject="activity-host")
PHONE = "13812345678"


def body(**extra: Any) -> dict[str, Any]:
    start = local_now().replace(microsecond=0) + timedelta(days=3)
    return {
        "kind": "沙龙",
        "title": "科创咖啡厅·集成电路沙龙",
        "department": "人才办",
        "venue": "昆山科创中心 1 楼咖啡厅",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "capacity": 3,
        **extra,
    }


async def move(session: Any, activity_id: str, starts_in: timedelta, ends_in: timedelta) -> None:
    await session.execute(
        text(
            "UPDATE activities SET starts_at = now() + :s, ends_at = now() + :e WHERE id = CAST(:id AS uuid)"
        ),
        {"id": activity_id, "s": starts_in, "e": ends_in},
    )


def company(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="昆山测试科技有限公司")


async def test_registering_and_checking_in_from_the_phone(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7401)
    async with client(OFFICER) as c:
        aid = (await c.post("/api/v1/activities", json=body())).json()["id"]
        registered = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "昆山测试科技有限公司", "district": "陆家"}
        )
        assert registered.status_code == 201, registered.text
        other = (await c.post("/api/v1/activities", json=body(kind="路演"))).json()["id"]
        created = await c.post(
            "/api/v1/talents",
            json={"name": "钱工", "id_number": make_resident_id(7401), "education": "doctor"},
        )
        assert created.status_code == 201, created.text
        talent_id = created.json()["talent_id"]
        code = (await c.post(f"/api/v1/activities/{aid}/check-in-code")).json()["code"]
        other_code = (await c.post(f"/api/v1/activities/{other}/check-in-code")).json()["code"]
    talent = Principal(kind="public", subject=f"talent:{talent_id}", target=talent_id, name="钱工")

    # Anyone registers with a name and a phone; each missing or wrong field is named.
    async with client(None) as anon:
        url = f"/api/v1/activities/{aid}/sign-ups"
        no_name = await anon.post(url, json={"phone": PHONE})
        assert no_name.status_code == 422 and no_name.json()["code"] == "contact_required"
        assert no_name.json()["field"] == "name"
        no_phone = await anon.post(url, json={"name": "王小明"})
        assert no_phone.json()["code"] == "contact_required" and no_phone.json()["field"] == "phone"
        bad_phone = await anon.post(url, json={"name": "王小明", "phone": "1234"})
        assert bad_phone.status_code == 422 and bad_phone.json()["code"] == "invalid_phone"
        assert bad_phone.json()["field"] == "phone"

        person = await anon.post(url, json={"name": "王小明", "phone": PHONE})
        assert person.status_code == 201, person.text
        got = person.json()
        assert got["attendee_type"] == "person" and got["registered_via"] == "self"
        assert got["phone_masked"] == got["attendee"] == "138****5678"
        assert PHONE not in person.text
        # The same phone written another way is the same person.
        twice = await anon.post(url, json={"name": "王小明", "phone": "+86 138-1234-5678"})
        assert twice.status_code == 409 and twice.json()["code"] == "already_registered"
        assert twice.json()["field"] == "phone"

    stored = (
        await session.execute(
            text(
                "SELECT attendee, attendee_phone_encrypted, attendee_phone_masked FROM activity_registrations "
                "WHERE id = CAST(:id AS uuid)"
            ),
            {"id": got["id"]},
        )
    ).one()
    assert PHONE not in " ".join(stored) and stored[2] == "138****5678"

    # A signed-in company and talent register themselves (nothing to fill in), once each.
    async with client(company(uscc)) as c:
        mine = await c.post(f"/api/v1/activities/{aid}/sign-ups", json={})
        assert mine.status_code == 201 and mine.json()["attendee"] == uscc
        again = await c.post(f"/api/v1/activities/{aid}/sign-ups", json={})
        assert again.status_code == 409 and again.json()["code"] == "already_registered"
    async with client(talent) as c:
        assert (await c.post(f"/api/v1/activities/{aid}/sign-ups", json={})).json()[
            "attendee_type"
        ] == "talent"
    async with client(partner("talent:write")) as c:
        full = await c.post(
            f"/api/v1/activities/{aid}/sign-ups", json={"name": "赵六", "phone": "13900001111"}
        )
        assert full.status_code == 409 and full.json()["code"] == "activity_full"

    # Three days ahead: self check-in is not open yet (it opens 2 hours before the start).
    async with client(None) as anon:
        check = f"/api/v1/activities/{aid}/self-check-ins"
        me = {"name": "王小明", "phone": PHONE}
        early = await anon.post(check, json={"code": code, **me})
        assert early.status_code == 409 and early.json()["code"] == "check_in_not_open"

        await move(session, aid, timedelta(hours=1), timedelta(hours=4))
        expiry, _, sig = code.partition(".")
        past = int(local_now().timestamp()) - 60
        for wrong in (
            f"{expiry}.{'0' * len(sig)}",
            f"{int(expiry) + 1}.{sig}",
            other_code,
            "扫码",
            f"{past}.{service._signature(settings, uuid.UUID(aid), past)}",  # signed, expired
        ):
            r = await anon.post(check, json={"code": wrong, **me})
            assert r.status_code == 422 and r.json()["code"] == "bad_check_in_code", (wrong, r.text)

        # One place left: someone not found is told they are not registered.
        await session.execute(
            text("UPDATE activities SET capacity = 4 WHERE id = CAST(:id AS uuid)"), {"id": aid}
        )
        wrong_name = await anon.post(check, json={"code": code, "name": "王大明", "phone": PHONE})
        assert wrong_name.status_code == 404 and wrong_name.json()["code"] == "not_registered"
        stranger = await anon.post(check, json={"code": code, "name": "王小明", "phone": "13900002222"})
        assert stranger.status_code == 404 and stranger.json()["code"] == "not_registered"
        no_phone = await anon.post(check, json={"code": code, "name": "王小明"})
        assert no_phone.status_code == 422 and no_phone.json()["field"] == "phone"

        first = await anon.post(check, json={"code": code, **me})
        assert first.status_code == 200, first.text
        assert first.json()["already_checked_in"] is False and first.json()["checked_in_via"] == "self"
        assert first.json()["activity_title"] == "科创咖啡厅·集成电路沙龙"
        second = await anon.post(check, json={"code": code, "name": " 王小明 ", "phone": "138 1234 5678"})
        assert second.status_code == 200 and second.json()["already_checked_in"] is True
        assert second.json()["checked_in_at"] == first.json()["checked_in_at"]

    async with client(company(uscc)) as c:
        ok = await c.post(f"/api/v1/activities/{aid}/self-check-ins", json={"code": code})
        assert ok.status_code == 200 and ok.json()["attendee"] == uscc
    # Someone not registered for a full activity is told it is full.
    await session.execute(
        text("UPDATE activities SET capacity = 3 WHERE id = CAST(:id AS uuid)"), {"id": aid}
    )
    async with client(company(make_uscc(7402))) as c:
        r = await c.post(f"/api/v1/activities/{aid}/self-check-ins", json={"code": code})
        assert r.status_code == 409 and r.json()["code"] == "activity_full"

    # The organisers' list: names, masked phones, who checked in — for the host department only.
    async with client(staff("reviewer", department="人才办", subject="host-reader")) as c:
        listed = await c.get(f"/api/v1/activities/{aid}/registrations")
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert (page["registered"], page["checked_in"], page["capacity"]) == (3, 2, 3)
        by_type = {r["attendee_type"]: r for r in page["items"]}
        assert by_type["person"]["name"] == "王小明" and by_type["person"]["phone_masked"] == "138****5678"
        assert by_type["talent"]["name"] == "钱工" and by_type["talent"]["checked_in_at"] is None
        assert by_type["enterprise"]["name"] == "昆山测试科技有限公司"
        assert by_type["enterprise"]["checked_in_via"] == "self"
        assert PHONE not in listed.text
    async with client(staff("officer", department="科技局", subject="elsewhere")) as c:
        refused = await c.get(f"/api/v1/activities/{aid}/registrations")
        assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    async with client(None) as anon:
        assert (await anon.get(f"/api/v1/activities/{aid}/registrations")).status_code in (401, 403)

    # Once it is over, nobody checks in any more.
    await move(session, aid, timedelta(hours=-5), timedelta(hours=-1))
    async with client(talent) as c:
        late = await c.post(f"/api/v1/activities/{aid}/self-check-ins", json={"code": code})
        assert late.status_code == 409 and late.json()["code"] == "activity_finished"

    events = (
        await session.execute(
            text(
                "SELECT envelope -> 'data' ->> 'attendee_type', envelope -> 'data' ->> 'attendee' "
                "FROM outbox_events WHERE type = 'kunruyi.talent.activity.checked_in' AND subject = :id"
            ),
            {"id": aid},
        )
    ).all()
    assert sorted(events) == [("enterprise", uscc), ("person", "138****5678")]
