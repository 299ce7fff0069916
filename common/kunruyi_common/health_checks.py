"""Periodic checks inside an app that export what a scrape cannot count: gauges for the alert rules.

Each app runs the kit's checks (outbox backlog, consumer lag, dead letters waiting) and any of its own
(``ServiceSpec.periodic_checks``, e.g. svc-disbursement's ledger invariants). A check is a cheap read; every
replica runs it and exports the same value, so the rules take ``max()`` over replicas. A check that raises leaves
its gauges as they were and counts a failure; ``kunruyi_periodic_check_last_success_timestamp_seconds`` going
stale is an alert of its own, so a silent check never looks healthy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge
from sqlalchemy import text

from kunruyi_common.background import stop_task
from kunruyi_common.events.envelope import DLQ_STREAM, DLQ_SUBJECT_PREFIX, stream_name
from kunruyi_common.metrics import EVENTS_DEAD_LETTERED, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger("kunruyi.health_checks")

OUTBOX_UNPUBLISHED = Gauge(
    "kunruyi_outbox_unpublished", "Outbox events written but not yet published", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "kunruyi_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none waits)",
    ["service"],
)
CONSUMER_PENDING = Gauge(
    "kunruyi_consumer_pending_messages",
    "Messages in the stream the durable consumer has not been delivered yet (JetStream num_pending)",
    ["service", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "kunruyi_consumer_ack_pending_messages",
    "Messages delivered to the durable consumer and not yet acknowledged (JetStream num_ack_pending)",
    ["service", "consumer"],
)
DEAD_LETTERS_WAITING = Gauge(
    "kunruyi_dead_letters_waiting",
    "Messages in the dead-letter stream KUNRUYI_DLQ for the consumer (until replayed and removed)",
    ["service", "consumer"],
)
CHECK_LAST_SUCCESS = Gauge(
    "kunruyi_periodic_check_last_success_timestamp_seconds",
    "When the periodic check last completed (Unix time)",
    ["service", "check"],
)
CHECK_INTERVAL = Gauge(
    "kunruyi_periodic_check_interval_seconds",
    "How often the periodic check runs (the staleness alert allows three missed runs)",
    ["service", "check"],
)
CHECK_FAILURES = Counter(
    "kunruyi_periodic_check_failures_total", "Periodic checks that raised", ["service", "check"]
)


@dataclass(frozen=True)
class PeriodicCheck:
    """``run(app)`` sets gauges; it runs every ``interval_s`` seconds (first run shortly after start)."""

    name: str
    run: Callable[[FastAPI], Awaitable[None]]
    interval_s: float = 15.0


def consumer_durables(app: FastAPI) -> list[tuple[str, str]]:
    """(stream, durable) of every consumer the app declares (the event catalog's list)."""
    spec = app.state.spec
    return [(stream_name(c.producer), f"{spec.name}-{c.name}") for c in spec.consumers]


async def check_outbox(app: FastAPI) -> None:
    service = app.state.spec.name
    async with app.state.sessionmaker() as session:
        row = (
            await session.execute(
                text(
                    "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
                    "FROM outbox_events WHERE published_at IS NULL"
                )
            )
        ).one()
    OUTBOX_UNPUBLISHED.labels(service).set(int(row.n))
    OUTBOX_OLDEST_AGE.labels(service).set(float(row.age))


async def check_consumers(app: FastAPI) -> None:
    bus = app.state.bus
    if not bus.connected:
        raise RuntimeError("NATS disconnected")
    service = app.state.spec.name
    for stream, durable in consumer_durables(app):
        try:
            info: Any = await bus.js.consumer_info(stream, durable)
        except Exception as exc:  # not created yet (the consumer subscribes on its first run)
            if type(exc).__name__ == "NotFoundError":
                continue
            raise
        CONSUMER_PENDING.labels(service, durable).set(int(info.num_pending or 0))
        CONSUMER_ACK_PENDING.labels(service, durable).set(int(info.num_ack_pending or 0))


async def check_dead_letters(app: FastAPI) -> None:
    bus = app.state.bus
    if not bus.connected:
        raise RuntimeError("NATS disconnected")
    service = app.state.spec.name
    durables = [durable for _, durable in consumer_durables(app)]
    if not durables:
        return
    try:
        info: Any = await bus.js.stream_info(DLQ_STREAM, subjects_filter=f"{DLQ_SUBJECT_PREFIX}.>")
        subjects: dict[str, int] = dict(info.state.subjects or {})
    except Exception as exc:
        if type(exc).__name__ != "NotFoundError":  # no dead letter yet: the stream is made on the first one
            raise
        subjects = {}
    for durable in durables:
        DEAD_LETTERS_WAITING.labels(service, durable).set(subjects.get(f"{DLQ_SUBJECT_PREFIX}.{durable}", 0))


KIT_CHECKS: tuple[PeriodicCheck, ...] = (
    PeriodicCheck("outbox", check_outbox, 15.0),
    PeriodicCheck("consumers", check_consumers, 15.0),
    PeriodicCheck("dead_letters", check_dead_letters, 30.0),
)


class PeriodicChecks:
    """Runs the checks of one app, each on its own interval, one at a time, for the app's whole life."""

    def __init__(self, app: FastAPI, checks: Sequence[PeriodicCheck], *, interval_scale: float = 1.0) -> None:
        self.app = app
        self.service = app.state.spec.name
        self.checks = list(checks)
        self.interval_scale = interval_scale
        self._task: asyncio.Task[None] | None = None
        for check in self.checks:
            CHECK_INTERVAL.labels(self.service, check.name).set(check.interval_s * interval_scale)
        # Counters at zero from the start: increase() cannot see the first event of a series that appears with it.
        OUTBOX_PUBLISHED.labels(self.service)
        OUTBOX_PUBLISH_FAILURES.labels(self.service)
        for _, durable in consumer_durables(app):
            EVENTS_DEAD_LETTERED.labels(self.service, durable)

    async def run_once(self, check: PeriodicCheck) -> bool:
        try:
            await check.run(self.app)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            CHECK_FAILURES.labels(self.service, check.name).inc()
            logger.warning("periodic check %s failed: %s", check.name, exc)
            return False
        CHECK_LAST_SUCCESS.labels(self.service, check.name).set(time.time())
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"periodic-checks-{self.service}")

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _run(self) -> None:
        due = {check.name: time.monotonic() + 1.0 for check in self.checks}
        while True:
            now = time.monotonic()
            for check in self.checks:
                if due[check.name] <= now:
                    await self.run_once(check)
                    due[check.name] = time.monotonic() + check.interval_s * self.interval_scale
            await asyncio.sleep(max(0.2, min(due.values()) - time.monotonic()))
