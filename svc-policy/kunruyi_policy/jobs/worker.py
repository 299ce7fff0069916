"""The job worker every replica runs (a non-exclusive periodic task of the kit: the rows are shared, not the tick).

The mechanism is the kit's (``kunruyi_common.jobs.JobWorker``): claim with ``FOR UPDATE SKIP LOCKED`` under a lease,
one transaction per chunk that re-checks the lease, writes the chunk's effects and outbox rows and advances the
cursor; a replica killed mid-chunk loses that chunk only and another replica resumes after the last committed one.
A chunk done twice determines nothing twice: the unique entitlement row guards every determination, and a catalog
import's cursor is committed with the drafts it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from kunruyi_common import jobs
from kunruyi_common.jobs import JobKind, Step, worker_name
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_policy.jobs.kinds import CHUNK_SIZES, KINDS
from kunruyi_policy.models import BackgroundJob
from kunruyi_policy.settings import Settings

__all__ = ["JobWorker", "Step", "start_job_worker", "worker_name"]


class JobWorker(jobs.JobWorker):
    """svc-policy's worker: its ``background_jobs`` table and its kinds."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        owner: str | None = None,
        chunk_size: int = 5000,
        lease_s: float = 60.0,
        max_attempts: int = 3,
        after_commit: Callable[[], object] | None = None,
        kinds: Mapping[str, JobKind] | None = None,
        chunk_sizes: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(
            sessionmaker,
            BackgroundJob,
            kinds or KINDS,
            owner=owner,
            chunk_size=chunk_size,
            lease_s=lease_s,
            max_attempts=max_attempts,
            after_commit=after_commit,
            chunk_sizes=CHUNK_SIZES if chunk_sizes is None else chunk_sizes,
        )

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
            chunk_sizes={**CHUNK_SIZES, "catalog_import": settings.catalog_import_chunk_size},
        )


async def start_job_worker(app: FastAPI) -> None:
    """on_startup: the worker on every replica (the kit's ``run_job_worker``)."""
    settings: Settings = app.state.settings
    worker = JobWorker.from_settings(
        app.state.sessionmaker, settings, after_commit=getattr(app.state, "after_commit", None)
    )
    jobs.run_job_worker(app, worker, poll_interval_s=settings.job_poll_interval_s)
