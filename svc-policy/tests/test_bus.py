"""Through the real bus: a talent event delivered twice (new Nats-Msg-Id, same event id) and a run started twice
still give one entitlement event per (policy, entity, period), relayed by the outbox."""

import asyncio
import json

import httpx
import nats
import pytest
from kunruyi_common.app import create_service_app
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff, wait_for_job
from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.demo.seed import seed_policies, seed_taxonomy
from kunruyi_policy.main import build_spec
from kunruyi_policy.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

USCC = "91320583MA1ZZZZZ0C"
CONSUMER = "policy-talent-profiles"


@pytest.fixture(scope="module")
def bus_db(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_policy", "policy_bus")


@pytest.fixture(scope="module")
async def bus_db_url(bus_db: str) -> str:
    url = bus_db
    engine = create_async_engine(url)
    async with AsyncSession(engine) as session:
        await seed_taxonomy(session)
        await seed_policies(session, [i for i in demo_catalog() if i["beneficiary"] == "enterprise"])
        await session.commit()
    await engine.dispose()
    return url


async def publish_twice(nats_url: str, event: CloudEvent) -> int:
    """Publishes the event twice and answers the stream sequence of the second copy."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_name("talent"), stream_subjects("talent"))
        body = event.model_dump_json().encode()
        # Two different message ids: JetStream keeps both, so the inbox is what must drop the second.
        await js.publish(event.type, body, headers={"Nats-Msg-Id": f"{event.id}-a"})
        second = await js.publish(event.type, body, headers={"Nats-Msg-Id": f"{event.id}-b"})
        return second.seq
    finally:
        await nc.close()


async def wait_until_consumed(nats_url: str, last_seq: int) -> None:
    # The stream may hold other suites' talent events from the same session: wait past our two copies.
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for _ in range(600):
            try:
                info = await js.consumer_info(stream_name("talent"), CONSUMER)
                if (
                    info.num_pending == 0
                    and info.num_ack_pending == 0
                    and info.delivered.stream_seq >= last_seq
                ):
                    return
            except Exception:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError("consumer did not drain")
    finally:
        await nc.close()


async def test_entitlement_once_through_bus_inbox_outbox_and_runs(bus_db_url: str, infra: Infra) -> None:
    settings = Settings(
        database_url=bus_db_url,
        nats_url=infra.nats_url,
        run_background_workers=True,
        outbox_poll_interval_s=0.1,
        job_poll_interval_s=0.1,
    )
    app = create_service_app(build_spec(), settings)
    event = CloudEvent(
        source="talent",
        type="kunruyi.talent.enterprise.registered",
        subject=USCC,
        data={
            "uscc": USCC,
            "name": "昆山总线测试有限公司",
            "district": "花桥",
            "industry_chain": "生物医药",
            "founded_years": 3,
            "employees": 40,
            "revenue_fen": 2_000_000_000,
            "rd_expense_fen": 150_000_000,
            "tax_paid_fen": 10_000_000,
            "rd_ratio": 0.075,
            "high_tech_revenue_ratio": 0.5,
            "qualifications": ["high_tech"],
            "new_qualifications": ["high_tech", "gazelle"],
            "invention_patents": 2,
            "platforms": [],
            "growth_stage": "start",
        },
    )
    async with app.router.lifespan_context(app):
        last_seq = await publish_twice(infra.nats_url, event)
        await wait_until_consumed(infra.nats_url, last_seq)
        transport = httpx.ASGITransport(app=app)
        headers = principal_headers(staff("officer", department="科技局"))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=headers) as c:
            started = [await c.post("/api/v1/entitlement-runs", json={}) for _ in range(2)]
            # the run is a background job: the app's own worker does it; the answer says where to follow it
            job = await wait_for_job(c, started[0].headers["location"])
            runs = [(await c.get(f"/api/v1/entitlement-runs/{started[0].json()['id']}")).json()]
        engine = app.state.engine
        for _ in range(100):
            async with engine.connect() as conn:
                pending = (
                    await conn.execute(text("SELECT count(*) FROM outbox_events WHERE published_at IS NULL"))
                ).scalar_one()
            if pending == 0:
                break
            await asyncio.sleep(0.1)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT envelope, published_at FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined'"
                    )
                )
            ).all()
            inbox = (
                await conn.execute(
                    text("SELECT count(*) FROM inbox_events WHERE consumer = :c AND event_id = :e"),
                    {"c": CONSUMER, "e": event.id},
                )
            ).scalar_one()
    keys = [(r[0]["data"]["policy_code"], r[0]["data"]["entity_id"], r[0]["data"]["period"]) for r in rows]
    assert inbox == 1
    assert len(keys) == len(set(keys)) >= 4
    assert {"KS-KJ-001", "KS-KJ-003", "KS-KJ-005"} <= {k[0] for k in keys}
    assert all(r[1] is not None for r in rows)  # relayed to the bus
    assert [s.status_code for s in started] == [202, 200]
    assert started[0].json()["id"] == started[1].json()["id"] and job["status"] == "succeeded"
    assert runs[0]["status"] == "completed" and runs[0]["counts"]["determined"] == 0
    assert json.loads(json.dumps(runs[0]["counts"]))["eligible"] == len(keys)
