"""The scheduled batch assignment: the waiting queue is retried every ``ASSIGNMENT_INTERVAL_S``.

Approval assigns on arrival and officers may run a batch at any time; this worker covers the rest — a new month
gives every broker their capacity back, so demands waiting with ``capacity_full`` are taken without anyone
pressing a button. It owns its transaction (a worker, not a service). Several instances may run it at once: the
run locks the broker rows and skips demands another run holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fastapi import FastAPI
from kunruyi_common.background import stop_task
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_matching.broker.models import AssignmentRun
from kunruyi_matching.broker.service import run_assignment
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.settings import Settings

logger = logging.getLogger("kunruyi.matching.assignment")
ACTOR = "scheduler"


class AssignmentScheduler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        interval_s: float,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.interval_s = interval_s
        self.after_commit = after_commit
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> AssignmentRun | None:
        """One batch over the queue; None when nothing waits (no run is recorded then)."""
        async with self.sessionmaker() as session, session.begin():
            waiting = (
                await session.execute(select(Demand.id).where(Demand.status == "unassigned").limit(1))
            ).first()
            if waiting is None:
                return None
            run, assigned, _ = await run_assignment(session, trigger="batch", actor=ACTOR)
        if assigned and self.after_commit is not None:
            self.after_commit()
        return run

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="matching-assignment-scheduler")

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                run = await self.tick()
                if run is not None and run.assigned:
                    logger.info("scheduled assignment: %d of %d assigned", run.assigned, run.considered)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("scheduled assignment failed: %s", exc)


async def start_scheduler(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if not settings.run_background_workers or settings.assignment_interval_s <= 0:
        return
    scheduler = AssignmentScheduler(
        app.state.sessionmaker, settings.assignment_interval_s, getattr(app.state, "after_commit", None)
    )
    scheduler.start()
    app.state.assignment_scheduler = scheduler


async def stop_scheduler(app: FastAPI) -> None:
    scheduler: AssignmentScheduler | None = getattr(app.state, "assignment_scheduler", None)
    if scheduler is not None:
        await scheduler.stop()
