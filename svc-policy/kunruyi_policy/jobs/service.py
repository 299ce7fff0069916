"""Background jobs: work too long for a request, done by every replica's worker in chunks (worker.py).

A job is a row (``background_jobs``): its kind and parameters, its status (queued → running → succeeded / failed /
cancelled), how many entities it has (``total``) and has done (``done``), and where the next chunk starts
(``cursor``). Each chunk is ONE transaction that writes the chunk's effects (entitlements and their outbox rows)
together with the job's cursor, ``done`` and heartbeat: a crash loses at most the chunk in flight, and the replica
that takes the job over resumes right after the last committed chunk. What a kind does per chunk lives with its
domain (``kunruyi_policy.jobs.kinds``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.jobs import repository
from kunruyi_policy.jobs.exceptions import JobNotCancellable, JobNotFound
from kunruyi_policy.models import BackgroundJob

FINISHED = ("succeeded", "failed", "cancelled")
STATUS_LABELS = {
    "queued": "排队中",
    "running": "运行中",
    "succeeded": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}


@dataclass
class Chunk:
    """What one chunk did: entities processed, the cursor after them, counts to add up, figures that hold for the
    whole job (kept at their largest), and whether nothing is left."""

    processed: int
    cursor: dict[str, Any] | None
    counts: dict[str, int] = field(default_factory=dict)
    gauges: dict[str, int] = field(default_factory=dict)
    finished: bool = False


@dataclass(frozen=True)
class JobKind:
    """A kind of job: ``chunk(session, job, limit)`` does the next at most ``limit`` entities in the chunk's
    transaction; ``ended(session, job)`` runs in the transaction that ends the job (succeeded, failed or
    cancelled), e.g. to close the entitlement run it carries out."""

    chunk: Callable[[AsyncSession, BackgroundJob, int], Awaitable[Chunk]]
    ended: Callable[[AsyncSession, BackgroundJob], Awaitable[None]] | None = None


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    subject: str,
    params: dict[str, Any],
    total: int,
    created_by: str | None,
) -> BackgroundJob:
    """A queued job, written in the caller's unit of work: it exists once that commits, and is picked up then."""
    job = BackgroundJob(
        id=uuid.uuid4(),
        kind=kind,
        subject=subject,
        params=params,
        status="queued",
        total=total,
        done=0,
        chunks=0,
        counts={},
        attempts=0,
        created_by=created_by,
    )
    session.add(job)
    await session.flush()
    return job


def merge_counts(job: BackgroundJob, chunk: Chunk) -> dict[str, Any]:
    merged = dict(job.counts or {})
    for name, value in chunk.counts.items():
        merged[name] = int(merged.get(name, 0)) + value
    for name, value in chunk.gauges.items():
        merged[name] = max(int(merged.get(name, 0)), value)
    return merged


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob:
    job = await repository.get(session, job_id)
    if job is None:
        raise JobNotFound("后台任务不存在")
    return job


async def cancel(
    session: AsyncSession, job_id: uuid.UUID, ended: Callable[[AsyncSession, BackgroundJob], Awaitable[None]]
) -> BackgroundJob:
    """Stop a queued or running job. The job row is locked first, so a chunk in flight finishes (or not) before
    this commits, and the worker's next chunk sees ``cancelled`` and does nothing: what was committed stays."""
    job = await repository.lock(session, job_id)
    if job is None:
        raise JobNotFound("后台任务不存在")
    if job.status in FINISHED:
        raise JobNotCancellable(f"后台任务已结束（{STATUS_LABELS[job.status]}），不能取消")
    job.status = "cancelled"
    job.finished_at = await repository.db_now(session)
    job.lease_owner = None
    job.lease_expires_at = None
    await ended(session, job)
    await session.flush()
    return job


def job_url(job_id: uuid.UUID) -> str:
    return f"/api/v1/jobs/{job_id}"


def job_public(job: BackgroundJob, now: datetime) -> dict[str, Any]:
    """A job as the API shows it, with its rate (entities per second since it started) and the time left."""
    rate: float | None = None
    eta_s: float | None = None
    if job.started_at is not None:
        until = job.finished_at or (job.heartbeat_at if job.status != "running" else now)
        elapsed = ((until or now) - job.started_at).total_seconds()
        if elapsed > 0 and job.done > 0:
            rate = round(job.done / elapsed, 1)
            if job.status == "running":
                eta_s = round(max(job.total - job.done, 0) / rate, 1)
    if job.status == "succeeded":
        eta_s = 0.0
    return {
        "id": str(job.id),
        "url": job_url(job.id),
        "kind": job.kind,
        "subject": job.subject,
        "params": job.params,
        "status": job.status,
        "status_label": STATUS_LABELS.get(job.status, job.status),
        "total": job.total,
        "done": job.done,
        "chunks": job.chunks,
        "rate_per_s": rate,
        "eta_s": eta_s,
        "counts": job.counts,
        "attempts": job.attempts,
        "error": job.error,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "heartbeat_at": job.heartbeat_at,
        "lease_owner": job.lease_owner,
        "lease_expires_at": job.lease_expires_at,
    }
