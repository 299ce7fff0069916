"""One helper for periodic jobs (scans, sweeps, scheduled runs), replica-safe: once per interval across replicas.

A :class:`PeriodicTask` runs ``tick(session)`` every ``interval_s`` (sooner when woken), in a transaction of its
own that commits when the tick returns and rolls back when it raises. An *exclusive* task (the default) first
takes ``pg_try_advisory_xact_lock`` on a key derived from the service and job name inside that transaction: when
another replica (or another task in this one) holds it, the tick is skipped (reason ``held``), so each tick runs
on at most one replica at a time, and the lock is released with the transaction whatever happens to the process.

Each replica keeps its own timer, so the lock alone would let N replicas run the job up to N times per interval.
An exclusive job therefore keeps a record of its last run in the service's ``periodic_runs`` table (the kit's,
declared in every service's metadata by :func:`periodic_runs_table`): under the lock, a *scheduled* tick reads
the job's ``last_run_at`` and skips (reason ``not_due``) unless ``now() - last_run_at >= interval_s`` — times are
the database's, so replicas' clocks do not matter — and a run stores ``last_run_at`` (its transaction's start)
and ``runs + 1`` in the same transaction as the tick's work. A replica that finds the job not due waits until it
is due, so when the replica that ran it last dies, another runs it within one interval.

The rule: **the interval gate applies to scheduled ticks only** (the timer, including a first tick at start-up).
A tick that was *woken* (:meth:`PeriodicTask.wake`: work was just committed) or that follows a busy one
(``again_when_busy`` and a truthy result: work is still pending) runs as soon as it gets the lock, and
:meth:`PeriodicTask.run_once` called directly runs unless the lock is held; these runs are recorded too (they
count in ``runs`` and push the next scheduled run back by an interval). A *non-exclusive* task
(``exclusive=False``) runs on every replica with no lock and no record — for work that is per process (an
in-memory index) or that already shares rows safely (``FOR UPDATE SKIP LOCKED``).

A tick that needs its own commits (claim, then call a bank) may ignore the session it is given and open its own:
the lock is held by the task's transaction for the whole tick either way (and the run is recorded when the tick
returns).

Every tick is counted on ``kunruyi_periodic_ticks_total{service,job,outcome}`` (``ran``, ``skipped``,
``failed``), skips also on ``kunruyi_periodic_skips_total{service,job,reason}`` (``held``, ``not_due``); the
table's ``runs`` counts an exclusive job's runs across replicas and restarts. A tick's truthy result runs the
after-commit hooks (wake the outbox relay) and, with ``again_when_busy``, starts the next tick at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import FastAPI
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, extract, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_common.background import stop_task
from kunruyi_common.context import using_settings
from kunruyi_common.metrics import PERIODIC_SKIPS, PERIODIC_TICKS
from kunruyi_common.settings import ServiceSettings

logger = logging.getLogger("kunruyi.periodic")


Tick = Callable[[AsyncSession], Awaitable[object]]
Outcome = Literal["ran", "skipped", "failed"]
SkipReason = Literal["held", "not_due"]

PERIODIC_RUNS_DDL = """
CREATE TABLE periodic_runs (
    job text NOT NULL,
    last_run_at timestamptz NOT NULL,
    runs bigint NOT NULL DEFAULT 0,
    CONSTRAINT pk_periodic_runs PRIMARY KEY (job)
)
"""


def periodic_runs_table(metadata: MetaData) -> Table:
    """``periodic_runs`` as ``PERIODIC_RUNS_DDL`` creates it (one row per exclusive job: when it last ran, on
    whichever replica, and how many times), so the service's alembic metadata owns it."""
    return Table(
        "periodic_runs",
        metadata,
        Column("job", Text, primary_key=True),
        Column("last_run_at", DateTime(timezone=True), nullable=False),
        Column("runs", BigInteger, nullable=False, server_default=text("0")),
        extend_existing=True,
    )


_runs = periodic_runs_table(MetaData())


def lock_key(service: str, job: str) -> int:
    """The job's advisory lock key: a signed 64-bit hash of ``service:job``, the same in every replica."""
    digest = hashlib.sha256(f"{service}:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PeriodicTask:
    def __init__(
        self,
        *,
        service: str,
        job: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        tick: Tick,
        interval_s: float,
        exclusive: bool = True,
        first_delay_s: float | None = None,
        again_when_busy: bool = False,
        after_commit: Callable[[], object] | None = None,
        settings: ServiceSettings | None = None,
    ) -> None:
        self.service = service
        self.job = job
        self.sessionmaker = sessionmaker
        self.tick = tick
        self.interval_s = interval_s
        self.exclusive = exclusive
        self.first_delay_s = interval_s if first_delay_s is None else first_delay_s
        self.again_when_busy = again_when_busy
        self.after_commit = after_commit
        self.settings = settings
        self.key = lock_key(service, job)
        self.last_skip: SkipReason | None = None
        self.due_in: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"periodic-{self.service}-{self.job}")

    async def stop(self) -> None:
        await stop_task(self._task)

    def wake(self) -> None:
        """Run the next tick now instead of at the end of the interval."""
        self._wake.set()

    async def run_once(self, *, when_due: bool = False) -> tuple[Outcome, object]:
        """One tick: ``("ran", result)``, ``("skipped", None)`` when another holder has the job's lock (or, with
        ``when_due`` — the loop's scheduled ticks — when the job ran less than ``interval_s`` ago; the reason is
        left in :attr:`last_skip`), or ``("failed", None)`` after logging what the tick raised (its transaction
        rolled back, nothing recorded)."""
        result: object = None
        self.last_skip = None
        self.due_in = None
        try:
            with using_settings(self.settings):
                async with self.sessionmaker() as session, session.begin():
                    if self.exclusive:
                        got = (
                            await session.execute(select(func.pg_try_advisory_xact_lock(self.key)))
                        ).scalar()
                        if not got:
                            return self._skipped("held")
                        if when_due:
                            wait = await self._time_to_due(session)
                            if wait > 0:
                                self.due_in = wait
                                return self._skipped("not_due")
                    result = await self.tick(session)
                    if self.exclusive:
                        await self._record_run(session)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("periodic job %s failed", self.job, extra={"job": self.job})
            PERIODIC_TICKS.labels(self.service, self.job, "failed").inc()
            return "failed", None
        PERIODIC_TICKS.labels(self.service, self.job, "ran").inc()
        if result and self.after_commit is not None:
            self.after_commit()
        return "ran", result

    def _skipped(self, reason: SkipReason) -> tuple[Outcome, object]:
        self.last_skip = reason
        PERIODIC_TICKS.labels(self.service, self.job, "skipped").inc()
        PERIODIC_SKIPS.labels(self.service, self.job, reason).inc()
        return "skipped", None

    async def _time_to_due(self, session: AsyncSession) -> float:
        """Seconds until the job is due (0 when it is, or has never run), by the database's clock."""
        elapsed = (
            await session.execute(
                select(extract("epoch", func.now() - _runs.c.last_run_at)).where(_runs.c.job == self.job)
            )
        ).scalar()
        if elapsed is None:
            return 0.0
        return max(0.0, self.interval_s - float(elapsed))

    async def _record_run(self, session: AsyncSession) -> None:
        stmt = insert(_runs).values(job=self.job, last_run_at=func.now(), runs=1)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[_runs.c.job],
                set_={"last_run_at": stmt.excluded.last_run_at, "runs": _runs.c.runs + 1},
            )
        )

    async def _run(self) -> None:
        delay = self.first_delay_s
        pending = False  # work is known to wait (woken, or the last tick was busy): no interval gate
        while True:
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                    pending = True
                except TimeoutError:
                    pass
            elif self._wake.is_set():
                pending = True
            self._wake.clear()
            outcome, result = await self.run_once(when_due=not pending)
            pending = self.again_when_busy and outcome == "ran" and bool(result)
            if pending:
                delay = 0
            elif self.due_in is not None:
                delay = min(self.due_in, self.interval_s)  # another replica ran it: try when it is next due
            else:
                delay = self.interval_s


def start_periodic(
    app: FastAPI,
    *,
    job: str,
    tick: Tick,
    interval_s: float,
    exclusive: bool = True,
    first_delay_s: float | None = None,
    again_when_busy: bool = False,
) -> PeriodicTask:
    """Build a periodic task from an app made by ``create_service_app`` (its service name, database, settings
    and after-commit hooks), start it unless the app runs without background workers, and have the app stop it
    at shutdown. Call it from an ``on_startup`` hook."""
    settings: ServiceSettings = app.state.settings
    task = PeriodicTask(
        service=app.state.spec.name,
        job=job,
        sessionmaker=app.state.sessionmaker,
        tick=tick,
        interval_s=interval_s,
        exclusive=exclusive,
        first_delay_s=first_delay_s,
        again_when_busy=again_when_busy,
        after_commit=getattr(app.state, "after_commit", None),
        settings=settings,
    )
    tasks: list[PeriodicTask] = app.state.periodic_tasks
    tasks.append(task)
    if settings.run_background_workers:
        task.start()
    return task
