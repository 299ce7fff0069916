"""免申即享: profile events feed the read model; entitlements are determined once per (policy, entity, period)."""

import asyncio
import uuid
from datetime import UTC, datetime

from kunruyi_common.clock import local_today
from kunruyi_common.events import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_policy.entitlements.service import entitlement_id, period_of
from kunruyi_policy.models import Entitlement, EntityProfile
from kunruyi_policy.profiles.handlers import on_enterprise, on_person, upsert_profile
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

USCC = "91320583MA1XXXXX0A"


def enterprise_event(**overrides) -> CloudEvent:  # type: ignore[no-untyped-def]
    data = {
        "uscc": USCC,
        "name": "昆山测试科技有限公司",
        "district": "开发区",
        "industry_chain": "集成电路",
        "founded_on": None,
        "founded_years": 6,
        "employees": 80,
        "fiscal_year": 2025,
        "revenue_fen": 6_000_000_000,
        "rd_expense_fen": 300_000_000,
        "tax_paid_fen": 200_000_000,
        "rd_ratio": 0.05,
        "high_tech_revenue_ratio": 0.7,
        "qualifications": ["high_tech"],
        "new_qualifications": ["high_tech"],
        "invention_patents": 6,
        "new_invention_patents": 2,
        "platforms": ["postdoc_station"],
        "platform_dates": {"postdoc_station": f"{local_today().year}-01-01"},
        "growth_stage": "growth",
    }
    data.update(overrides)
    return CloudEvent(source="talent", type="kunruyi.talent.enterprise.registered", subject=USCC, data=data)


async def entitlement_events(session: AsyncSession) -> list[dict]:  # type: ignore[type-arg]
    rows = await session.execute(
        text("SELECT envelope FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined'")
    )
    return [r[0]["data"] for r in rows]


async def test_a_profile_event_determines_each_entitlement_once(session: AsyncSession) -> None:
    event = enterprise_event()
    await on_enterprise(session, event)
    first = await entitlement_events(session)
    codes = {e["policy_code"] for e in first}
    # 高企认定 + 区镇配套 + 研发费用 + 知识产权 + 博士后工作站 + 集成电路产业链 + 高新产品收入
    assert {
        "KS-KJ-001",
        "KS-QZ-001",
        "KS-KJ-005",
        "KS-SJ-001",
        "KS-RS-001",
        "KS-FG-003",
        "KS-KJ-009",
    } <= codes
    assert len(codes) == len(first)
    sample = next(e for e in first if e["policy_code"] == "KS-KJ-001")
    period = str(local_today().year)
    assert sample["entitlement_id"] == str(entitlement_id("KS-KJ-001", "enterprise", USCC, period))
    assert (
        sample["amount_fen"] == 30 * 1_000_000
        and sample["period"] == period
        and len(sample["trace_digest"]) == 64
    )

    # the same profile again (an `updated` event with a new id) and a changed profile: nothing is emitted twice
    await on_enterprise(session, enterprise_event().model_copy(update={"id": str(uuid.uuid4())}))
    await on_enterprise(
        session, enterprise_event(invention_patents=9).model_copy(update={"id": str(uuid.uuid4())})
    )
    again = await entitlement_events(session)
    assert sorted(e["entitlement_id"] for e in again) == sorted(e["entitlement_id"] for e in first)
    count = (
        await session.execute(
            select(func.count()).select_from(Entitlement).where(Entitlement.entity_id == USCC)
        )
    ).scalar_one()
    assert count == len(first)


async def test_an_older_event_does_not_overwrite_a_newer_profile(session: AsyncSession) -> None:
    newer = enterprise_event(new_qualifications=[])
    older = enterprise_event().model_copy(
        update={"id": str(uuid.uuid4()), "time": datetime(2020, 1, 1, tzinfo=UTC)}
    )
    await on_enterprise(session, newer)
    await on_enterprise(session, older)
    assert "KS-KJ-001" not in {e["policy_code"] for e in await entitlement_events(session)}


async def test_two_replicas_applying_an_entitys_events_at_once_keep_the_newer_profile(
    engine: AsyncEngine,
) -> None:
    """Two replicas of svc-policy share the durable consumer, so an enterprise's next two events can be applied at
    the same time: the replica holding the older one must not overwrite the newer one once that commits (it read
    the row before the newer event was committed)."""
    uscc = f"REPLICAS{uuid.uuid4().hex[:10].upper()}"
    t0, older_at, newer_at = (datetime(2026, 1, 1, 0, 0, s, tzinfo=UTC) for s in (0, 1, 2))
    async with AsyncSession(engine) as s, s.begin():
        assert await upsert_profile(s, "enterprise", uscc, "昆山", {"version": 0}, t0)
    newer, older = AsyncSession(engine), AsyncSession(engine)
    applying: asyncio.Task[bool] | None = None
    try:
        # The newer event is applied first and not yet committed …
        assert await upsert_profile(newer, "enterprise", uscc, "昆山", {"version": 2}, newer_at)

        async def apply_older() -> bool:
            stored = await upsert_profile(older, "enterprise", uscc, "昆山", {"version": 1}, older_at)
            await older.commit()
            return stored

        # … while the other replica applies the older one: it must wait for the newer one's row.
        applying = asyncio.create_task(apply_older())
        deadline = asyncio.get_running_loop().time() + 30
        while not await _sessions_waiting_for_a_lock(engine):
            assert not applying.done(), "the older event was applied without waiting for the newer one"
            assert asyncio.get_running_loop().time() < deadline, "the older event never waited"
            await asyncio.sleep(0.05)
        await newer.commit()
        assert await applying is False
        async with AsyncSession(engine) as s:
            stored = await s.scalar(
                select(EntityProfile.profile).where(
                    EntityProfile.entity_type == "enterprise", EntityProfile.entity_id == uscc
                )
            )
        assert stored == {"version": 2}
    finally:
        await newer.close()
        if applying is not None and not applying.done():
            # The older one waits on the newer one's row, released by the close above; let it finish before its
            # session closes (a session cannot roll back while its statement is still running).
            await asyncio.wait_for(asyncio.wait([applying]), 30)
        await older.close()
        async with AsyncSession(engine) as s, s.begin():
            await s.execute(text("DELETE FROM entity_profiles WHERE entity_id = :u"), {"u": uscc})


async def _sessions_waiting_for_a_lock(engine: AsyncEngine) -> int:
    """Each look in its own transaction: PostgreSQL keeps one snapshot of ``pg_stat_activity`` for a whole
    transaction, so polling inside one would never see a wait that began after the first look."""
    async with engine.connect() as conn:
        count = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        await conn.rollback()
    return int(count or 0)


async def test_talent_events_use_program_names_from_svc_talent(session: AsyncSession) -> None:
    talent_id = str(uuid.uuid4())
    data = {
        "talent_id": talent_id,
        "name": "张博士",
        "gender": "M",
        "age": 33,
        "education": "doctor",
        "overseas": True,
        "title": None,
        "skill_level": None,
        "talent_programs": ["省双创人才"],
        "talent_class": "B",
        "employer_uscc": USCC,
        "employer_qualifications": ["high_tech"],
        "years_in_kunshan": 0,
        "arrival_date": f"{local_today().year}-01-01",  # 人才安居补贴, 来昆补贴: for the year of arrival
        "annual_salary_fen": None,
        "expertise": "芯片",
        "fields": [],
        "industry_chain": "集成电路",
        "is_expert": False,
    }
    await on_person(session, CloudEvent(source="talent", type="kunruyi.talent.person.registered", data=data))
    found = {e["policy_code"]: e for e in await entitlement_events(session) if e["entity_id"] == talent_id}
    assert set(found) >= {"KS-RC-001", "KS-RC-003", "KS-RC-005", "KS-ZJ-001"}
    assert found["KS-ZJ-001"]["amount_fen"] == 60 * 1_000_000
    stored = (
        await session.execute(
            text("SELECT name, profile FROM entity_profiles WHERE entity_id = :i"), {"i": talent_id}
        )
    ).one()
    assert stored[0] == "" and "name" not in stored[1]  # no personal data in the read model


async def test_runs_are_idempotent_and_never_emit_twice(client, session: AsyncSession, run_jobs) -> None:  # type: ignore[no-untyped-def]
    await on_enterprise(session, enterprise_event())
    other = "91320583MA1YYYYY0B"
    await session.execute(
        text(
            "INSERT INTO entity_profiles (entity_type, entity_id, name, profile) VALUES ('enterprise', :i, '', :p)"
        ),
        {
            "i": other,
            "p": '{"district": "花桥", "qualifications": ["high_tech"], "new_qualifications": ["gazelle"], '
            '"platforms": [], "high_tech_revenue_ratio": 0.8, "qualification_dates": {"high_tech": '
            f'{{"granted_on": "{local_today().year}-01-01", "first_granted_on": "2019-12-01"}}}}}}',
        },
    )
    before = len(await entitlement_events(session))
    async with client(staff("officer", department="科技局")) as c:
        first = await c.post("/api/v1/entitlement-runs", json={})
        second = await c.post("/api/v1/entitlement-runs", json={})
        queued = (await c.get(f"/api/v1/entitlement-runs/{first.json()['id']}")).json()
        public = await c.post("/api/v1/entitlement-runs", json={}, headers={"x-kry-principal": ""})
        future = await c.post("/api/v1/entitlement-runs", json={"evaluation_date": "2999-01-01"})
        keyed = await c.post("/api/v1/entitlement-runs", json={}, headers={"Idempotency-Key": "run-1"})
        keyed_again = await c.post("/api/v1/entitlement-runs", json={}, headers={"Idempotency-Key": "run-1"})
        # the run is a background job: a replica's worker does it after the request committed
        ran = await run_jobs()
        fetched = await c.get(f"/api/v1/entitlement-runs/{first.json()['id']}")
        job = (await c.get(first.headers["location"])).json()
        after = await c.post("/api/v1/entitlement-runs", json={})
    assert first.status_code == 202 and second.status_code == 200
    assert first.headers["location"] == first.json()["job_url"] == f"/api/v1/jobs/{first.json()['job_id']}"
    assert queued["status"] == "queued" and queued["job_id"] == first.json()["job_id"]
    assert keyed.json()["id"] == keyed_again.json()["id"] == first.json()["id"]
    assert keyed.json()["job_id"] == keyed_again.json()["job_id"] == first.json()["job_id"]
    assert keyed_again.headers.get("idempotent-replayed") == "true"
    # a run pays what it determines: a future period cannot be determined early
    assert future.status_code == 422 and future.json()["code"] == "evaluation_date_in_future"
    assert future.json()["field"] == "evaluation_date"
    assert second.json()["id"] == first.json()["id"] and second.json()["created"] is False
    assert ran == [uuid.UUID(first.json()["job_id"])]
    assert job["status"] == "succeeded" and job["done"] == job["total"] == 2 and job["eta_s"] == 0
    assert after.status_code == 200 and after.json()["job_id"] == first.json()["job_id"]
    run = fetched.json()
    assert run["status"] == "completed" and run["duration_ms"] is not None
    assert run["counts"]["entities"] == 2 and run["counts"]["policies"] >= 40
    assert run["counts"]["evaluations"] > 40 and run["counts"]["row_by_row_policies"] == 0
    events = await entitlement_events(session)
    # only the second enterprise's entitlements are new: 高企重新认定 + 瞪羚 + 高新产品收入
    assert {e["policy_code"] for e in events[before:]} == {"KS-KJ-002", "KS-KJ-003", "KS-KJ-009"}
    assert (
        run["counts"]["determined"] == 3
        and run["counts"]["already_determined"] == run["counts"]["settled"] - 3
    )
    assert len({e["entitlement_id"] for e in events}) == len(events)
    assert public.status_code == 401


async def test_the_calculator_answers_for_an_entity_held_in_the_read_model(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await on_enterprise(session, enterprise_event())
    async with client(staff("reviewer")) as c:
        body = (
            await c.post(
                "/api/v1/policy-calculator?detail=full", json={"entity_type": "enterprise", "entity_id": USCC}
            )
        ).json()
    async with client() as c:
        talent = await c.post(
            "/api/v1/policy-calculator?detail=full", json={"entity_type": "talent", "entity_id": "t-1"}
        )
    async with client(staff("officer")) as c:
        missing_run = await c.get(f"/api/v1/entitlement-runs/{uuid.uuid4()}")
    assert body["entity"] == {"entity_type": "enterprise", "entity_id": USCC}
    assert body["profile"]["rd_ratio"] == 0.05
    assert {r["policy_code"]: r["status"] for r in body["results"]}["KS-KJ-001"] == "eligible"
    assert talent.status_code == 401
    assert missing_run.status_code == 404 and missing_run.json()["code"] == "run_not_found"


async def test_determined_entitlements_are_listed_by_entity_with_a_cursor(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_common.pagination import encode_cursor
    from kunruyi_launcher.testing import partner

    await on_enterprise(session, enterprise_event())
    async with client(partner("policy:read")) as c:
        first = (await c.get("/api/v1/entitlements", params={"entity_id": USCC, "limit": 3})).json()
        second = (
            await c.get("/api/v1/entitlements", params={"entity_id": USCC, "cursor": first["next_cursor"]})
        ).json()
        bad = await c.get("/api/v1/entitlements", params={"cursor": encode_cursor("x")})
    async with client(partner("talent:read")) as c:
        denied = await c.get("/api/v1/entitlements", params={"entity_id": USCC})
    codes = [e["policy_code"] for e in first["items"] + second["items"]]
    assert len(first["items"]) == 3 and len(codes) == len(set(codes)) >= 7
    assert all(e["entity_id"] == USCC and e["amount_fen"] > 0 for e in first["items"] + second["items"])
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor") and denied.status_code == 403


async def test_a_start_up_spending_more_on_rd_than_it_earns_still_reaches_the_read_model(
    session: AsyncSession,
) -> None:
    """svc-talent computes rd_ratio = R&D / revenue, which exceeds 1 for many start-ups. The event must still update
    the read model (the ratio reads as 100 %) instead of failing the consumer; any other value outside the
    dictionary's range reads as unknown (the neutral default) and the rest of the profile is kept."""
    event = enterprise_event(revenue_fen=100_000_000, rd_expense_fen=300_000_000, rd_ratio=3.0, employees=-1)
    await on_enterprise(session, event)
    stored = (
        await session.execute(
            text("SELECT profile FROM entity_profiles WHERE entity_type = 'enterprise' AND entity_id = :i"),
            {"i": USCC},
        )
    ).scalar_one()
    assert stored["rd_ratio"] == 1.0 and stored["rd_expense_fen"] == 300_000_000
    assert stored["employees"] == 0 and stored["invention_patents"] == 6
    assert "KS-KJ-005" in {e["policy_code"] for e in await entitlement_events(session)}  # R&D subsidy


def test_the_entitlement_period_is_the_beijing_year() -> None:
    # 17:30 UTC on 31 December is 01:30 on 1 January in Kunshan: the entitlement belongs to the new year.
    assert period_of(local_today(datetime(2026, 12, 31, 17, 30, tzinfo=UTC))) == "2027"
    assert period_of(local_today(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))) == "2026"
