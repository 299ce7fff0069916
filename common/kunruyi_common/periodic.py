"""One helper for periodic jobs (scans, sweeps, scheduled runs), replica-safe.

A :class:`PeriodicTask` runs ``tick(session)`` every ``interval_s`` (sooner when woken), in a transaction of its
own that commits when the tick returns and rolls back when it raises. An *exclusive* task (the default) first
takes ``pg_try_advisory_xact_lock`` on a key derived from the service and job name inside that transaction: when
another replica (or another task in this one) holds it, the tick is skipped, so each tick runs on at most one
replica at a time, and the lock is released with the transaction whatever happens to the process. A
non-exclusive task (``exclusive=False``) runs on every replica — for work that is per process (an in-memory
index) or that already shares rows safely (``FOR UPDATE SKIP LOCKED``).

A tick that needs its own commits (claim, then call a bank) may ignore the session it is given and open its own:
the lock is held by the task's transaction for the whole tick either way.

Every tick is counted on ``kunruyi_periodic_ticks_total{service,job,outcome}`` (``ran``, ``skipped``,
``failed``). A tick's truthy result runs the after-commit hooks (wake the outbox relay) and, with
``again_when_busy``, starts the next tick at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_common.background import stop_task
from kunruyi_common.context import using_settings
from kunruyi_common.metrics import PERIODIC_TICKS
from kunruyi_common.settings import ServiceSettings

logger = logging.getLogger("kunruyi.periodic")


Tick = Callable[[AsyncSession], Awaitable[object]]
Outcome = Literal["ran", "skipped", "failed"]


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
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"periodic-{self.service}-{self.job}")

    async def stop(self) -> None:
        await stop_task(self._task)

    def wake(self) -> None:
        """Run the next tick now instead of at the end of the interval."""
        self._wake.set()

    async def run_once(self) -> tuple[Outcome, object]:
        """One tick: ``("ran", result)``, ``("skipped", None)`` when another holder has the job's lock, or
        ``("failed", None)`` after logging what the tick raised (its transaction rolled back)."""
        outcome: Outcome
        result: object = None
        try:
            with using_settings(self.settings):
                async with self.sessionmaker() as session, session.begin():
                    if self.exclusive:
                        got = (
                            await session.execute(select(func.pg_try_advisory_xact_lock(self.key)))
                        ).scalar()
                        if not got:
                            PERIODIC_TICKS.labels(self.service, self.job, "skipped").inc()
                            return "skipped", None
                    result = await self.tick(session)
            outcome = "ran"
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("periodic job %s failed", self.job, extra={"job": self.job})
            PERIODIC_TICKS.labels(self.service, self.job, "failed").inc()
            return "failed", None
        PERIODIC_TICKS.labels(self.service, self.job, outcome).inc()
        if result and self.after_commit is not None:
            self.after_commit()
        return outcome, result

    async def _run(self) -> None:
        delay = self.first_delay_s
        while True:
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except TimeoutError:
                    pass
            self._wake.clear()
            outcome, result = await self.run_once()
            delay = 0 if (self.again_when_busy and outcome == "ran" and result) else self.interval_s


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
