"""Housing decisions belong to the housing department (住建局): another department's officer is refused every step —
registering a project, reading its units and waiting list, a talent's applications, applying on a talent's behalf,
releasing a unit, answering an offer for the talent, the lapse scan — with 403 ``other_department``. Admins act for
every department; the talent still acts on their own application; the projects list stays public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import staff
from kunruyi_talent.housing import service
from kunruyi_talent.pii import PersonalData
from sqlalchemy import text

from .test_housing import LONG_AGO, make_people, project

HOUSING = staff("officer", department="住建局", subject="feng")
POLICE = staff("officer", department="公安局", subject="wang")
ADMIN = staff("admin", subject="root")


def refused(r) -> bool:  # type: ignore[no-untyped-def]
    return r.status_code == 403 and r.json()["code"] == "other_department"


async def test_another_departments_officer_is_refused_every_housing_decision(
    client, session, settings
) -> None:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    ids = await make_people(
        session,
        pii,
        5300,
        [
            {"education": "doctor", "arrival_date": LONG_AGO},
            {"education": "doctor", "arrival_date": LONG_AGO},
        ],
    )
    await service.create_project(session, project("HD-1", 1))
    await session.flush()
    unit_id = await session.scalar(
        text(
            "SELECT u.id FROM housing_units u JOIN housing_projects p ON p.id = u.project_id WHERE p.code = 'HD-1'"
        )
    )
    body = {"talent_id": str(ids[0]), "project_code": "HD-1"}

    async with client(POLICE) as c:
        assert refused(await c.post("/api/v1/housing/applications", json=body))
        new = project("HD-2", 1).model_dump(mode="json")
        assert refused(await c.post("/api/v1/housing/projects", json=new))
        assert refused(await c.get("/api/v1/housing/projects/HD-1/units"))
        assert refused(await c.get("/api/v1/housing/projects/HD-1/waiting-list"))
    async with client(HOUSING) as c:
        assert (await c.post("/api/v1/housing/applications", json=body)).status_code == 201
    async with client(POLICE) as c:
        assert refused(await c.get("/api/v1/housing/applications", params={"talent_id": str(ids[0])}))
        assert refused(await c.post(f"/api/v1/housing/units/{unit_id}/release"))
    async with client(HOUSING) as c:
        offer = (await c.post(f"/api/v1/housing/units/{unit_id}/release")).json()["offer"]
        assert offer is not None
    later = (datetime.now(UTC) + timedelta(days=settings.housing_offer_days + 1)).isoformat()
    async with client(POLICE) as c:
        assert refused(await c.post(f"/api/v1/housing/offers/{offer['offer_id']}/accept"))
        assert refused(await c.post(f"/api/v1/housing/offers/{offer['offer_id']}/decline"))
        assert refused(await c.post("/api/v1/housing/offers/lapse-scan", params={"as_of": later}))
        # The public list of projects is still open to everyone.
        assert (await c.get("/api/v1/housing/projects")).status_code == 200
    # Nothing above changed the offer: the talent still answers it themself.
    me = Principal(kind="public", subject=f"talent:{ids[0]}")
    async with client(me) as c:
        listed = (await c.get("/api/v1/housing/applications", params={"talent_id": str(ids[0])})).json()
        assert listed["items"][0]["offer"]["status"] == "pending"
        r = await c.post(f"/api/v1/housing/offers/{offer['offer_id']}/accept")
        assert r.status_code == 200 and r.json()["status"] == "accepted"
    # An admin acts for every department.
    async with client(ADMIN) as c:
        r = await c.post(
            "/api/v1/housing/applications", json={"talent_id": str(ids[1]), "project_code": "HD-1"}
        )
        assert r.status_code == 201, r.text
        assert (await c.get("/api/v1/housing/projects/HD-1/waiting-list")).status_code == 200


async def test_staff_without_a_department_cannot_decide_housing(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    await service.create_project(session, project("HD-3", 1))
    await session.flush()
    async with client(staff("officer", subject="nodept")) as c:
        assert refused(await c.get("/api/v1/housing/projects/HD-3/waiting-list"))


async def test_a_lapse_scan_as_of_beyond_the_calendar_is_a_422_not_a_500(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    """A scan dated at the end of the calendar lapsed the offer and then failed making the next one (its answer
    period ran past year 9999): 500. Such a date is refused up front, the field named."""
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    ids = await make_people(
        session,
        pii,
        5500,
        [
            {"education": "doctor", "arrival_date": LONG_AGO},
            {"education": "doctor", "arrival_date": LONG_AGO},
        ],
    )
    await service.create_project(session, project("HD-4", 1))
    await session.flush()
    unit_id = await session.scalar(
        text(
            "SELECT u.id FROM housing_units u JOIN housing_projects p ON p.id = u.project_id WHERE p.code = 'HD-4'"
        )
    )
    async with client(HOUSING) as c:
        for tid in ids:
            r = await c.post(
                "/api/v1/housing/applications", json={"talent_id": str(tid), "project_code": "HD-4"}
            )
            assert r.status_code == 201, r.text
        offer = (await c.post(f"/api/v1/housing/units/{unit_id}/release")).json()["offer"]
        for as_of in ("9999-12-31T23:00:00Z", "9999-12-31T23:00:00", "0001-01-01T00:00:00Z"):
            r = await c.post("/api/v1/housing/offers/lapse-scan", params={"as_of": as_of})
            assert r.status_code == 422, (as_of, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "as_of" in r.json()["field"]
        listed = (await c.get("/api/v1/housing/applications", params={"talent_id": str(ids[0])})).json()
        assert listed["items"][0]["offer"]["offer_id"] == offer["offer_id"]  # nothing lapsed
