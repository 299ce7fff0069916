"""Team beneficiaries (双创团队): svc-talent's ``team.registered|updated`` facts become a ``team`` profile in the read
model, and the calculator evaluates the team items by team id or by a submitted profile — a team with 3 core
members meets the data criterion (核心成员不少于3人) and is left with the review to confirm; a team with 2 does not,
and is told which criterion and by how much."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from kunruyi_common.app import create_service_app
from kunruyi_common.events import CloudEvent
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import stream_name, stream_subjects
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff
from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.seed import seed_policies, seed_taxonomy
from kunruyi_policy.main import build_spec
from kunruyi_policy.models import EntityProfile
from kunruyi_policy.profiles.handlers import on_team
from kunruyi_policy.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

TEAM_ITEM = "KS-RC-020"  # 双创团队项目资助: 核心成员不少于3人 (data) and 通过评审 (manual)
OFFICER = staff("officer", department="人才办")
THREE = "6a1f0c3e-0000-4000-8000-000000000003"
TWO = "6a1f0c3e-0000-4000-8000-000000000002"


def team_event(
    team_id: str, core: int, members: int, *, at: datetime | None = None, **extra: Any
) -> CloudEvent:
    data = {
        "team_id": team_id,
        "uscc": "91320583MA1TEAMS07",
        "company_on_file": True,
        "company_in_kunshan": True,
        "lead_talent_id": "6a1f0c3e-0000-4000-8000-0000000000aa",
        "lead_talent_class": "B",
        "member_ids": [f"6a1f0c3e-0000-4000-8000-0000000001{i:02d}" for i in range(members)],
        "member_count": members,
        "core_member_count": core,
        "doctorate_members": 1,
        "overseas_members": 1,
        "program_members": 1,
        "team_programs": ["昆山双创团队"],
        **extra,
    }
    return CloudEvent(
        source="talent", type="kunruyi.talent.team.registered", time=at or datetime.now(UTC), data=data
    )


async def by_id(c, team_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = await c.post(
        "/api/v1/policy-calculator?detail=full",
        json={"entity_type": "team", "entity_id": team_id, "policy_codes": [TEAM_ITEM]},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_event_gives_a_team_profile(session: AsyncSession) -> None:
    await on_team(session, team_event(THREE, core=3, members=5))
    row = await session.get(EntityProfile, ("team", THREE))
    assert row is not None
    profile = dict(row.profile)
    assert {k: v for k, v in profile.items() if k != "_unknown"} == {
        "member_count": 5,
        "core_member_count": 3,
        "lead_talent_class": "B",
        "doctorate_members": 1,
        "overseas_members": 1,
        "program_members": 1,
        "company_in_kunshan": True,
    }
    assert profile["_unknown"] == []
    # an older event (a redelivery out of order) changes nothing
    await on_team(session, team_event(THREE, core=1, members=1, at=datetime.now(UTC) - timedelta(days=1)))
    await session.refresh(row)
    assert row.profile["core_member_count"] == 3
    # an unknown lead class (no class yet) reads as "", an unknown company as not registered here
    await on_team(
        session, team_event(TWO, core=2, members=2, lead_talent_class=None, company_in_kunshan=None)
    )
    two = await session.get(EntityProfile, ("team", TWO))
    assert two is not None and (two.profile["lead_talent_class"], two.profile["company_in_kunshan"]) == (
        "",
        False,
    )


async def test_the_calculator_by_team_id(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await on_team(session, team_event(THREE, core=3, members=5))
    await on_team(session, team_event(TWO, core=2, members=2))
    async with client(OFFICER) as c:
        three = await by_id(c, THREE)
        two = await by_id(c, TWO)
    assert three["entity"] == {"entity_type": "team", "entity_id": THREE} and three["beneficiary"] == "team"
    (met,) = three["results"]
    criteria = {x["id"]: x for x in met["criteria"]}
    assert criteria["core"]["state"] == "pass" and criteria["review"]["state"] == "manual"
    # the data criterion is met; the review is a person's judgement: needs confirmation, at most 500万
    assert met["status"] == "needs_confirmation" and met["amount_fen"] == 500 * WAN

    (missed,) = two["results"]
    assert missed["status"] == "ineligible"
    assert {x["id"]: x["state"] for x in missed["criteria"]}["core"] == "fail"
    assert missed["almost"]["criterion_id"] == "core"
    assert missed["almost"]["missing"] == [
        {"variable": "core_member_count", "actual": 2, "operator": ">=", "required": 3, "gap": 1}
    ]
    assert two["almost"][0]["policy_code"] == TEAM_ITEM


async def test_the_calculator_by_team_profile(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        r = await c.post(
            "/api/v1/policy-calculator?detail=full",
            json={"beneficiary": "team", "profile": {"core_member_count": 3, "member_count": 4}},
        )
        assert r.status_code == 200, r.text
        found = {x["policy_code"]: x for x in r.json()["results"]}
        assert found[TEAM_ITEM]["status"] == "needs_confirmation"
        # the team items only: no enterprise or talent item is evaluated for a team
        assert set(found) == {"KS-RS-020", TEAM_ITEM, "KS-RC-144", "KS-RC-145", "KS-RC-146"}
        # the tiers: 昆山双创团队 needs 3 core members (and the selection, confirmed), the national tier 5
        assert found["KS-RC-146"]["status"] == "needs_confirmation"
        assert found["KS-RC-144"]["status"] == "ineligible"

        small = await c.post(
            "/api/v1/policy-calculator?detail=full",
            json={"beneficiary": "team", "profile": {"core_member_count": 2}},
        )
        assert small.status_code == 200, small.text
        item = next(x for x in small.json()["results"] if x["policy_code"] == TEAM_ITEM)
        assert item["status"] == "ineligible"
        assert item["almost"]["missing"][0] == {
            "variable": "core_member_count",
            "actual": 2,
            "operator": ">=",
            "required": 3,
            "gap": 1,
        }
        # a team variable outside the dictionary, or an enterprise variable, is refused naming the field
        bad = await c.post(
            "/api/v1/policy-calculator",
            json={"beneficiary": "team", "profile": {"core_member_count": "三"}},
        )
        assert (bad.status_code, bad.json()["field"]) == (422, "profile.core_member_count")
        wrong = await c.post(
            "/api/v1/policy-calculator", json={"beneficiary": "team", "profile": {"employees": 30}}
        )
        assert (wrong.status_code, wrong.json()["field"]) == (422, "profile.employees")
        variables = (await c.get("/api/v1/policy-variables", params={"entity_type": "team"})).json()["items"]
        labels = {v["name"]: v["label"] for v in variables}
        assert labels["core_member_count"] == "团队核心成员人数" and len(labels) == 7


BUS_TEAM = "6a1f0c3e-0000-4000-8000-0000000000b5"
TEAM_CONSUMER = "policy-team-profiles"


@pytest.fixture(scope="module")
def teams_bus_db(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_policy", "policy_teams_bus")


async def test_the_team_event_through_the_bus_and_the_inbox_once(teams_bus_db: str, infra: Infra) -> None:
    """The real path: svc-talent's event on JetStream twice (two message ids, so JetStream keeps both), the
    ``team-profiles`` consumer stores it once (inbox), and the calculator reads the team by its id."""
    engine = create_async_engine(teams_bus_db)
    async with AsyncSession(engine) as s:
        await seed_taxonomy(s)
        await seed_policies(s, [i for i in demo_catalog() if i["beneficiary"] == "team"])
        await s.commit()
    await engine.dispose()
    settings = Settings(database_url=teams_bus_db, nats_url=infra.nats_url, run_background_workers=True)
    app = create_service_app(build_spec(), settings)
    event = team_event(BUS_TEAM, core=3, members=3)
    async with app.router.lifespan_context(app):
        nc = await nats.connect(infra.nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, stream_name("talent"), stream_subjects("talent"))
            body = event.model_dump_json().encode()
            for suffix in ("a", "b"):
                await js.publish(event.type, body, headers={"Nats-Msg-Id": f"{event.id}-{suffix}"})
            for _ in range(200):
                try:
                    info = await js.consumer_info(stream_name("talent"), TEAM_CONSUMER)
                    if (
                        info.num_pending == 0
                        and info.num_ack_pending == 0
                        and info.delivered.consumer_seq >= 2
                    ):
                        break
                except Exception:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the team consumer did not drain")
        finally:
            await nc.close()
        async with app.state.engine.connect() as conn:
            inbox = (
                await conn.execute(
                    text("SELECT count(*) FROM inbox_events WHERE consumer = :c"), {"c": TEAM_CONSUMER}
                )
            ).scalar_one()
            stored = (
                await conn.execute(
                    text("SELECT profile FROM entity_profiles WHERE entity_type = 'team' AND entity_id = :i"),
                    {"i": BUS_TEAM},
                )
            ).scalar_one()
        assert inbox == 1 and stored["core_member_count"] == 3
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://svc", headers=principal_headers(OFFICER)
        ) as c:
            answer = await by_id(c, BUS_TEAM)
    assert answer["results"][0]["status"] == "needs_confirmation"
