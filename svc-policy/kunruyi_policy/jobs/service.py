"""Background jobs: work too long for a request, done by every replica's worker in chunks (worker.py), with the
kit's one job mechanism (``kunruyi_common.jobs``: the job row, claim under a lease, chunk commits, progress,
cancel).

Each chunk is ONE transaction that writes the chunk's effects (entitlements, a catalog import's drafts, and their
outbox rows) together with the job's cursor, ``done`` and heartbeat: a crash loses at most the chunk in flight, and
the replica that takes the job over resumes right after the last committed chunk. What a kind does per chunk lives
with its domain (``kunruyi_policy.jobs.kinds``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kunruyi_common import jobs
from kunruyi_common.jobs import FINISHED, STATUS_LABELS, Chunk, Ended, JobKind, merge_counts
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.models import BackgroundJob, Department

__all__ = [
    "FINISHED",
    "STATUS_LABELS",
    "Chunk",
    "JobKind",
    "cancel",
    "enqueue",
    "get_job",
    "job_public",
    "job_url",
    "merge_counts",
]


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    subject: str,
    params: dict[str, Any],
    total: int,
    created_by: str | None,
    department: str | None,
    input: dict[str, Any] | None = None,
) -> BackgroundJob:
    """A queued job, written in the caller's unit of work: it exists once that commits, and is picked up then.

    ``department``: the department the job belongs to (jobs/access.py: its staff and admins read and cancel it),
    recorded by its name; None when the job has none (then admins only)."""
    return await jobs.enqueue(
        session,
        BackgroundJob,
        kind=kind,
        subject=subject,
        params=params,
        total=total,
        created_by=created_by,
        input=input,
        extra={"department": await _department_name(session, department)},
    )


async def _department_name(session: AsyncSession, department: str | None) -> str | None:
    """``department`` as the catalog names it (a code is recorded as its department's name)."""
    if not department:
        return None
    name = (
        await session.execute(select(Department.name).where(Department.code == department))
    ).scalar_one_or_none()
    return (name or department)[:80]


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob:
    return await jobs.get_job(session, BackgroundJob, job_id)


async def cancel(
    session: AsyncSession,
    job_id: uuid.UUID,
    ended: Ended,
    *,
    check: Callable[[BackgroundJob], None] | None = None,
) -> BackgroundJob:
    """Stop a queued or running job; what was committed stays (``kunruyi_common.jobs.cancel``). ``check`` raises
    when the caller may not cancel it (jobs/access.py), before anything changes."""
    return await jobs.cancel(session, BackgroundJob, job_id, ended, check=check)


def job_url(job_id: uuid.UUID) -> str:
    return f"/api/v1/jobs/{job_id}"


def job_public(job: BackgroundJob, now: datetime) -> dict[str, Any]:
    """A job as the API shows it, with its rate (entities per second since it started) and the time left."""
    return jobs.job_public(job, now, job_url(job.id))
