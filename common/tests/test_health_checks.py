"""The kit's periodic checks against a real PostgreSQL and NATS: the outbox backlog, consumer lag and dead letters
waiting are exported as gauges the alert rules read (deploy/observability/rules/)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from kunruyi_common.app import ConsumerSpec
from kunruyi_common.db import create_engine, create_sessionmaker, new_metadata
from kunruyi_common.events import EventBus, add_event, event_tables, event_type
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import DLQ_SUBJECT_PREFIX, stream_name, stream_subjects
from kunruyi_common.health_checks import (
    CHECK_LAST_SUCCESS,
    KIT_CHECKS,
    PeriodicChecks,
    check_consumers,
    check_dead_letters,
    check_outbox,
)
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import REGISTRY
from pydantic import BaseModel
from sqlalchemy import text


@event_type("kunruyi.kit.gauge.probed")
class GaugeProbed(BaseModel):
    """A test event."""

    n: int = 0


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def _noop(session: Any, event: Any) -> None:
    return None


@pytest.fixture
async def app(infra: Infra) -> AsyncIterator[Any]:
    """What the checks read from a running app: its spec, database and bus (real ones), under a unique name."""
    service = f"hc{uuid.uuid4().hex[:6]}"
    database = f"test_{service}"
    await ensure_databases(infra.database_admin_url, [database], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, database), pool_size=2)
    metadata = new_metadata()
    event_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    bus = EventBus(infra.nats_url, name=f"kunruyi-{service}", own_streams=[service])
    await bus.start()
    await bus.wait_connected()
    spec = SimpleNamespace(
        name=service,
        consumers=[
            ConsumerSpec(name="probes", producer=service, handlers={f"kunruyi.{service}.gauge.probed": _noop})
        ],
    )
    yield SimpleNamespace(state=SimpleNamespace(spec=spec, sessionmaker=create_sessionmaker(engine), bus=bus))
    await bus.close()
    await engine.dispose()


async def test_outbox_backlog_and_its_oldest_age(app: Any) -> None:
    service = app.state.spec.name
    await check_outbox(app)
    assert sample("kunruyi_outbox_unpublished", service=service) == 0
    assert sample("kunruyi_outbox_oldest_unpublished_age_seconds", service=service) == 0

    async with app.state.sessionmaker() as session, session.begin():
        for n in range(3):
            await add_event(session, service, GaugeProbed(n=n))
        await session.execute(text("UPDATE outbox_events SET created_at = now() - interval '5 minutes'"))
    await check_outbox(app)
    assert sample("kunruyi_outbox_unpublished", service=service) == 3
    age = sample("kunruyi_outbox_oldest_unpublished_age_seconds", service=service)
    assert age is not None and 300 <= age < 3600


async def test_consumer_lag_from_jetstream_and_dead_letters_waiting(app: Any) -> None:
    service = app.state.spec.name
    durable = f"{service}-probes"
    subject = f"kunruyi.{service}.gauge.probed"
    js = app.state.bus.js
    await check_consumers(app)  # the consumer does not exist yet: nothing exported, no failure
    assert sample("kunruyi_consumer_pending_messages", service=service, consumer=durable) is None

    await ensure_stream(js, stream_name(service), stream_subjects(service))
    await js.add_consumer(
        stream_name(service),
        ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT, filter_subjects=[subject]),
    )
    for n in range(4):
        await js.publish(subject, f'{{"n": {n}}}'.encode())
    await check_consumers(app)
    assert sample("kunruyi_consumer_pending_messages", service=service, consumer=durable) == 4
    assert sample("kunruyi_consumer_ack_pending_messages", service=service, consumer=durable) == 0

    await check_dead_letters(app)
    assert sample("kunruyi_dead_letters_waiting", service=service, consumer=durable) == 0
    await js.publish(f"{DLQ_SUBJECT_PREFIX}.{durable}", b"{}", headers={"Kry-Error": "boom"})
    await js.publish(f"{DLQ_SUBJECT_PREFIX}.other-consumer", b"{}")
    await check_dead_letters(app)
    assert sample("kunruyi_dead_letters_waiting", service=service, consumer=durable) == 1


async def test_a_failing_check_is_counted_and_its_success_time_kept_and_counters_start_at_zero(
    app: Any,
) -> None:
    service = app.state.spec.name
    checks = PeriodicChecks(app, KIT_CHECKS)
    # Counters exported at zero from the start (an alert's increase() sees the first dead letter), and intervals.
    assert sample("kunruyi_events_dead_lettered_total", service=service, consumer=f"{service}-probes") == 0
    assert sample("kunruyi_outbox_publish_failures_total", service=service) == 0
    assert sample("kunruyi_periodic_check_interval_seconds", service=service, check="dead_letters") == 30
    outbox = next(c for c in KIT_CHECKS if c.name == "outbox")
    assert await checks.run_once(outbox)
    succeeded_at = sample(
        "kunruyi_periodic_check_last_success_timestamp_seconds", service=service, check="outbox"
    )
    assert succeeded_at is not None and succeeded_at > 0

    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(text("DROP TABLE outbox_events"))
    assert not await checks.run_once(outbox)
    assert sample("kunruyi_periodic_check_failures_total", service=service, check="outbox") == 1
    assert CHECK_LAST_SUCCESS.labels(service, "outbox")._value.get() == succeeded_at
