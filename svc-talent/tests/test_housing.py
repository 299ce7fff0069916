"""Talent housing: eligibility, the waiting-list order, offers, declines, lapses, and concurrent releases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_launcher.testing import migrated_database, staff
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.schemas import EnterpriseCreate
from kunruyi_talent.housing import service
from kunruyi_talent.housing.schemas import ProjectCreate, UnitIn
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import TalentCreate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

OFFICER = staff("officer", department="住建局")
RECENT = date.today() - timedelta(days=200)
LONG_AGO = date(2010, 1, 1)


async def make_people(
    session: AsyncSession, pii: PersonalData, base: int, specs: list[dict[str, Any]]
) -> list[uuid.UUID]:
    uscc = make_uscc(base)
    await enterprise_service.register(
        session, pii, EnterpriseCreate(uscc=uscc, name=f"住房测试企业{base}", district="花桥")
    )
    ids = []
    for i, spec in enumerate(specs):
        data = TalentCreate(
            name=f"申请人{i}", id_number=make_resident_id(base + i), employer_uscc=uscc, **spec
        )
        ids.append((await talent_service.register(session, pii, data, "test")).id)
    return ids


def project(code: str, units: int) -> ProjectCreate:
    return ProjectCreate(
        code=code,
        name="人才公寓",
        district="花桥",
        eligible_classes=["A", "B", "C", "D"],
        monthly_rent_fen=150000,
        units=[UnitIn(unit_number=f"{i + 1:03d}") for i in range(units)],
    )


async def test_waiting_list_offers_declines_and_lapses(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    national = [{"name": "国家重大人才工程", "year": 2022}]
    county = [{"name": "昆山双创", "year": 2023}]
    ids = await make_people(
        session,
        pii,
        5000,
        [
            {"education": "master", "programs": county, "arrival_date": LONG_AGO},  # D 20+10     = 30
            {"education": "doctor", "programs": national, "arrival_date": RECENT},  # A 50+15+10  = 75
            {"education": "doctor", "arrival_date": LONG_AGO},  # D 20+15     = 35
            {"education": "master", "programs": county, "arrival_date": LONG_AGO},  # D 30, applies later
            {"education": "master"},  # E: not eligible
        ],
    )
    await service.create_project(session, project("HQ-1", 2))
    await session.flush()

    async with client(OFFICER) as c:
        positions = []
        for tid in (ids[0], ids[1], ids[2], ids[3]):
            r = await c.post(
                "/api/v1/housing/applications", json={"talent_id": str(tid), "project_code": "HQ-1"}
            )
            assert r.status_code == 201, r.text
            positions.append((r.json()["score"], r.json()["position"]))
        assert positions == [(30, 1), (75, 1), (35, 2), (30, 4)]
        r = await c.post(
            "/api/v1/housing/applications", json={"talent_id": str(ids[4]), "project_code": "HQ-1"}
        )
        assert (r.status_code, r.json()["code"]) == (422, "class_not_eligible")
        r = await c.post(
            "/api/v1/housing/applications", json={"talent_id": str(ids[0]), "project_code": "HQ-1"}
        )
        assert r.status_code == 409

        queue = (await c.get("/api/v1/housing/projects/HQ-1/waiting-list")).json()["items"]
        assert [q["talent_id"] for q in queue] == [str(ids[1]), str(ids[2]), str(ids[0]), str(ids[3])]

        units = (await c.get("/api/v1/housing/projects/HQ-1/units")).json()["items"]
        first = (await c.post(f"/api/v1/housing/units/{units[0]['unit_id']}/release")).json()["offer"]
        assert first["application_id"] == queue[0]["application_id"]
        again = await c.post(f"/api/v1/housing/units/{units[0]['unit_id']}/release")
        assert again.status_code == 409

        # Top applicant declines: the unit goes to the second; a decline keeps the first at the front.
        nxt = (await c.post(f"/api/v1/housing/offers/{first['offer_id']}/decline")).json()["offer"]
        assert nxt["application_id"] == queue[1]["application_id"]
        second_unit = (await c.post(f"/api/v1/housing/units/{units[1]['unit_id']}/release")).json()["offer"]
        assert second_unit["application_id"] == queue[0]["application_id"]
        # ...who declines again: second decline → back of the queue, behind lower scores.
        after = (await c.post(f"/api/v1/housing/offers/{second_unit['offer_id']}/decline")).json()["offer"]
        assert after["application_id"] == queue[2]["application_id"]
        waiting = (await c.get("/api/v1/housing/projects/HQ-1/waiting-list")).json()["items"]
        assert [w["talent_id"] for w in waiting] == [str(ids[3]), str(ids[1])]
        assert waiting[1]["back_of_queue"] is True

        # Both offers lapse: each unit moves on to the best waiting applicant who has not turned it down.
        later = (datetime.now(UTC) + timedelta(days=settings.housing_offer_days + 1)).isoformat()
        lapsed = (await c.post("/api/v1/housing/offers/lapse-scan", params={"as_of": later})).json()["lapsed"]
        assert set(lapsed) == {nxt["offer_id"], after["offer_id"]}
        waiting = (await c.get("/api/v1/housing/projects/HQ-1/waiting-list")).json()["items"]
        assert [w["talent_id"] for w in waiting] == [str(ids[0]), str(ids[1])]

        pending = (
            await session.execute(
                text(
                    "SELECT o.id, a.talent_id FROM housing_offers o JOIN housing_applications a ON a.id = o.application_id "
                    "WHERE o.status = 'pending' ORDER BY a.score DESC"
                )
            )
        ).all()
        assert [str(p[1]) for p in pending] == [str(ids[2]), str(ids[3])]
        r = await c.post(f"/api/v1/housing/offers/{pending[0][0]}/accept")
        assert r.status_code == 200 and r.json()["status"] == "accepted"
        assert (await c.post(f"/api/v1/housing/offers/{pending[0][0]}/accept")).status_code == 409

        projects = (await c.get("/api/v1/housing/projects")).json()["items"]
        assert projects[0]["code"] == "HQ-1" and projects[0]["units_total"] == 2

    from kunruyi_common.auth import Principal

    async with client(Principal(kind="public", subject=f"talent:{ids[4]}")) as mine:
        other = await mine.post(
            "/api/v1/housing/applications", json={"talent_id": str(ids[0]), "project_code": "HQ-1"}
        )
        assert other.status_code == 403
        own = await mine.post(
            "/api/v1/housing/applications", json={"talent_id": str(ids[4]), "project_code": "HQ-1"}
        )
        assert own.json()["code"] == "class_not_eligible"
        assert (await mine.post(f"/api/v1/housing/units/{units[0]['unit_id']}/release")).status_code == 403
        assert (await mine.get("/api/v1/housing/applications", params={"talent_id": str(ids[4])})).json() == {
            "items": []
        }
        assert (
            await mine.get("/api/v1/housing/applications", params={"talent_id": str(ids[0])})
        ).status_code == 403
    async with client(Principal(kind="public", subject=f"talent:{ids[1]}")) as mine:
        own_apps = (await mine.get("/api/v1/housing/applications", params={"talent_id": str(ids[1])})).json()[
            "items"
        ]
    assert [(a["status"], a["position"], a["back_of_queue"]) for a in own_apps] == [("waiting", 2, True)]
    async with client(OFFICER) as c:
        housed = (await c.get("/api/v1/housing/applications", params={"talent_id": str(ids[2])})).json()[
            "items"
        ]
        offered = (await c.get("/api/v1/housing/applications", params={"talent_id": str(ids[3])})).json()[
            "items"
        ]
    assert (housed[0]["status"], housed[0]["offer"]) == ("housed", None)
    assert offered[0]["status"] == "offered" and offered[0]["offer"]["status"] == "pending"

    kinds = (
        await session.execute(
            text(
                "SELECT type, count(*) FROM outbox_events WHERE type LIKE 'kunruyi.talent.housing%' GROUP BY type"
            )
        )
    ).all()
    assert dict(kinds) == {
        "kunruyi.talent.housing_application.queued": 4,
        "kunruyi.talent.housing_offer.made": 6,
        "kunruyi.talent.housing_offer.declined": 2,
        "kunruyi.talent.housing_offer.lapsed": 2,
        "kunruyi.talent.housing_offer.accepted": 1,
    }


@pytest.fixture(scope="module")
async def committed(infra, settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:  # type: ignore[no-untyped-def]
    url = await asyncio.to_thread(migrated_database, infra, "kunruyi_talent", "talent_concurrency")
    engine = create_engine(url, pool_size=12)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_concurrent_releases_never_double_offer(committed, settings) -> None:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    specs = [{"education": "doctor", "title": "高级工程师", "arrival_date": LONG_AGO} for _ in range(10)]
    async with committed() as s, s.begin():
        ids = await make_people(s, pii, 7000, specs)
        proj = await service.create_project(s, project("CC-1", 6))
        for i, tid in enumerate(ids):
            await service.apply(s, tid, "CC-1", now=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
    async with committed() as s:
        unit_ids = [
            r[0]
            for r in await s.execute(
                text("SELECT id FROM housing_units WHERE project_id = :p ORDER BY unit_number"),
                {"p": proj.id},
            )
        ]

    async def release(unit_id: uuid.UUID) -> uuid.UUID | None:
        async with committed() as s, s.begin():
            _, offer = await service.release_unit(s, unit_id, 7)
            return offer.application_id if offer else None

    offered = await asyncio.gather(*(release(u) for u in unit_ids))
    assert None not in offered and len(set(offered)) == 6

    async def decline(offer_id: uuid.UUID) -> None:
        async with committed() as s, s.begin():
            await service.decline(s, offer_id, 7)

    async with committed() as s:
        pending = [
            r[0] for r in await s.execute(text("SELECT id FROM housing_offers WHERE status = 'pending'"))
        ]
    await asyncio.gather(*(decline(o) for o in pending))

    async def invariants() -> list[Any]:
        async with committed() as s:
            rows = (
                await s.execute(
                    text(
                        "SELECT o.unit_id, o.application_id FROM housing_offers o WHERE o.status = 'pending'"
                    )
                )
            ).all()
            assert len({r[0] for r in rows}) == len(rows) and len({r[1] for r in rows}) == len(rows)
            redeclined = (
                await s.execute(
                    text(
                        "SELECT count(*) FROM housing_offers p JOIN housing_offers d "
                        "ON d.unit_id = p.unit_id AND d.application_id = p.application_id "
                        "WHERE p.status = 'pending' AND d.status = 'declined'"
                    )
                )
            ).scalar_one()
            assert redeclined == 0
            return list(rows)

    await invariants()
    # Units whose next candidates were locked by a concurrent decline are filled by the vacancy sweep.
    async with committed() as s, s.begin():
        await service.offer_vacant_units(s, 7)
    rows = await invariants()
    assert len(rows) == 6
    async with committed() as s:
        statuses = dict(
            (await s.execute(text("SELECT status, count(*) FROM housing_applications GROUP BY status"))).all()
        )
        assert statuses == {"offered": 6, "waiting": 4}
        available = (
            await s.execute(text("SELECT count(*) FROM housing_units WHERE status <> 'offered'"))
        ).scalar_one()
        assert available == 0


async def test_offer_checks_eligibility_again(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    ids = await make_people(
        session,
        pii,
        6000,
        [
            {"education": "doctor", "programs": [{"name": "省双创", "year": 2021}]},  # B, first in line
            {"education": "doctor"},  # D
        ],
    )
    await service.create_project(session, project("RE-1", 1))
    for tid in ids:
        await service.apply(session, tid, "RE-1")
    async with client(OFFICER) as c:
        # The first applicant's profile changes: no program, no doctorate → no class any more.
        r = await c.patch(f"/api/v1/talents/{ids[0]}", json={"programs": [], "education": "other"})
        assert r.json()["talent_class"] is None
        unit = (await c.get("/api/v1/housing/projects/RE-1/units")).json()["items"][0]
        offer = (await c.post(f"/api/v1/housing/units/{unit['unit_id']}/release")).json()["offer"]
        waiting = (await c.get("/api/v1/housing/projects/RE-1/waiting-list")).json()["items"]
    assert [w["talent_id"] for w in waiting] == [str(ids[0])]  # passed over, keeps the place
    assert offer is not None and offer["application_id"] != waiting[0]["application_id"]
