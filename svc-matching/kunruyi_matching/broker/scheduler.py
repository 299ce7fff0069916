"""The scheduled batch assignment: the waiting queue is retried every ``ASSIGNMENT_INTERVAL_S``.

Approval assigns on arrival and officers may run a batch at any time; this job covers the rest — a new month
gives every broker their capacity back, so demands waiting with ``capacity_full`` are taken without anyone
pressing a button. It runs as the kit's :class:`~kunruyi_common.periodic.PeriodicTask`: one replica per tick
(advisory lock), in the task's transaction. A run started by hand at the same time is still safe: the run locks
the broker rows and skips demands another run holds.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from kunruyi_common.periodic import start_periodic
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker.models import AssignmentRun
from kunruyi_matching.broker.service import run_assignment
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.settings import Settings

logger = logging.getLogger("kunruyi.matching.assignment")
ACTOR = "scheduler"
JOB = "broker-assignment"


async def assign_waiting(session: AsyncSession) -> AssignmentRun | None:
    """One batch over the queue; None when nothing waits (no run is recorded then)."""
    waiting = (await session.execute(select(Demand.id).where(Demand.status == "unassigned").limit(1))).first()
    if waiting is None:
        return None
    run, assigned, _ = await run_assignment(session, trigger="batch", actor=ACTOR)
    if assigned:
        logger.info("scheduled assignment: %d of %d assigned", run.assigned, run.considered)
    return run


async def start_scheduler(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.assignment_interval_s > 0:
        start_periodic(app, job=JOB, tick=assign_waiting, interval_s=settings.assignment_interval_s)
