"""The job worker every replica runs (a non-exclusive periodic task of the kit: the rows are shared, not the tick).

Replica-safe by the database alone: a worker claims the oldest queued job — or a running one whose lease expired —
with ``FOR UPDATE SKIP LOCKED``, so two replicas never take the same job, and holds it under a lease
(``lease_owner``, ``lease_expires_at``). Each chunk is one transaction that locks the job row, checks that the
lease is still this worker's and the job still running (a cancellation or a takeover stops it there), writes the
chunk's entitlements and outbox rows, and advances the cursor, ``done`` and the heartbeat (which renews the lease).
A replica killed mid-chunk loses that uncommitted chunk only; when its lease expires another replica claims the job
and resumes after the last committed chunk. A chunk done twice determines nothing twice: the unique entitlement
row guards every determination.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from fastapi import FastAPI
from kunruyi_common.periodic import start_periodic
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_policy.jobs import repository
from kunruyi_policy.jobs.kinds import KINDS
from kunruyi_policy.jobs.service import JobKind, merge_counts
from kunruyi_policy.models import BackgroundJob
from kunruyi_policy.settings import Settings

logger = logging.getLogger("kunruyi.policy.jobs")

Step = Literal["more", "finished", "lost", "failed"]


def worker_name() -> str:
    """Who holds a lease: host, process and a random tag (a restarted process is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        owner: str | None = None,
        chunk_size: int = 5000,
        lease_s: float = 60.0,
        max_attempts: int = 3,
        after_commit: Callable[[], object] | None = None,
        kinds: dict[str, JobKind] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.owner = owner or worker_name()
        self.chunk_size = chunk_size
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.after_commit = after_commit
        self.kinds = kinds or KINDS

    @classmethod
    def from_settings(
        cls,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        after_commit: Callable[[], object] | None = None,
    ) -> JobWorker:
        return cls(
            sessionmaker,
            chunk_size=settings.job_chunk_size,
            lease_s=settings.job_lease_s,
            max_attempts=settings.job_max_attempts,
            after_commit=after_commit,
        )

    async def tick(self, _session: AsyncSession) -> bool:
        """The periodic task's tick: one job, claimed and worked to its end (or until its lease is lost)."""
        return await self.run_once() is not None

    async def claim(self) -> uuid.UUID | None:
        async with self.sessionmaker() as session, session.begin():
            job = await repository.claim(session, self.owner, self.lease_s)
            if job is not None:
                logger.info(
                    "job %s (%s) claimed by %s at %d/%d", job.id, job.kind, self.owner, job.done, job.total
                )
            return job.id if job is not None else None

    async def run_once(self, *, max_chunks: int | None = None) -> uuid.UUID | None:
        """Claim a job and do its chunks until it ends, is cancelled or taken over; ``max_chunks`` stops early
        without giving the lease back (what a replica that dies looks like to the others)."""
        job_id = await self.claim()
        if job_id is None:
            return None
        done = 0
        while max_chunks is None or done < max_chunks:
            step = await self.step(job_id)
            done += 1
            if step != "more":
                break
        return job_id

    async def step(self, job_id: uuid.UUID) -> Step:
        """One chunk in one transaction, or nothing when the job is no longer this worker's to run."""
        try:
            async with self.sessionmaker() as session, session.begin():
                job = await repository.lock(session, job_id)
                if job is None or job.status != "running" or job.lease_owner != self.owner:
                    return "lost"
                kind = self.kinds[job.kind]
                chunk = await kind.chunk(session, job, self.chunk_size)
                now = await repository.db_now(session)
                job.done += chunk.processed
                job.attempts = 0
                job.chunks += 1
                job.cursor = chunk.cursor
                job.counts = merge_counts(job, chunk)
                job.heartbeat_at = now
                job.lease_expires_at = now + timedelta(seconds=self.lease_s)
                if chunk.finished:
                    # profiles added while it ran are counted too
                    job.total = max(job.total, job.done)
                    await self._end(session, job, "succeeded", kind)
                await session.flush()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("job %s: a chunk failed", job_id)
            await self._record_failure(job_id, exc)
            return "failed"
        if self.after_commit is not None:
            self.after_commit()
        return "finished" if chunk.finished else "more"

    async def _end(self, session: AsyncSession, job: BackgroundJob, status: str, kind: JobKind) -> None:
        job.status = status
        job.finished_at = await repository.db_now(session)
        job.lease_owner = None
        job.lease_expires_at = None
        if kind.ended is not None:
            await kind.ended(session, job)

    async def _record_failure(self, job_id: uuid.UUID, exc: Exception) -> None:
        """A chunk that raised: its transaction rolled back; the job is given back to be retried by any replica,
        and failed after ``max_attempts`` failures in a row."""
        async with self.sessionmaker() as session, session.begin():
            job = await repository.lock(session, job_id)
            if job is None or job.status != "running" or job.lease_owner != self.owner:
                return
            job.attempts += 1
            job.error = f"{type(exc).__name__}: {exc}"[:500]
            if job.attempts >= self.max_attempts:
                await self._end(session, job, "failed", self.kinds[job.kind])
            else:
                job.lease_owner = None
                job.lease_expires_at = await repository.db_now(session)
            await session.flush()


async def start_job_worker(app: FastAPI) -> None:
    """on_startup: the worker as a non-exclusive periodic task on every replica (``FOR UPDATE SKIP LOCKED``
    shares the jobs); busy, it takes the next job at once."""
    settings: Settings = app.state.settings
    worker = JobWorker.from_settings(
        app.state.sessionmaker, settings, after_commit=getattr(app.state, "after_commit", None)
    )
    app.state.job_worker = worker
    start_periodic(
        app,
        job="background-jobs",
        tick=worker.tick,
        interval_s=settings.job_poll_interval_s,
        exclusive=False,
        again_when_busy=True,
    )
