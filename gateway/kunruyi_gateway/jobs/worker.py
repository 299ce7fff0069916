"""The gateway's job worker: every replica runs it (a non-exclusive periodic task; the rows are shared, not the
tick), with the kit's mechanism (``kunruyi_common.jobs.JobWorker``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from kunruyi_common.jobs import JobKind, JobWorker, run_job_worker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.code_batches import service as code_batches
from kunruyi_gateway.jobs.models import BackgroundJob
from kunruyi_gateway.settings import Settings

KINDS: dict[str, JobKind] = {code_batches.CODE_BATCH: JobKind(chunk=code_batches.batch_chunk)}


def job_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    owner: str | None = None,
    kinds: Mapping[str, JobKind] | None = None,
    after_commit: Callable[[], object] | None = None,
) -> JobWorker:
    """A worker over the gateway's jobs (``owner`` and ``kinds`` given by tests playing replicas)."""
    return JobWorker(
        sessionmaker,
        BackgroundJob,
        kinds or KINDS,
        owner=owner,
        chunk_size=settings.code_batch_chunk_size,
        lease_s=settings.job_lease_s,
        max_attempts=settings.job_max_attempts,
        after_commit=after_commit,
    )


async def start_job_worker(app: FastAPI) -> None:
    """on_startup: the worker on every replica (the kit's ``run_job_worker``)."""
    settings: Settings = app.state.settings
    worker = job_worker(
        app.state.sessionmaker, settings, after_commit=getattr(app.state, "after_commit", None)
    )
    run_job_worker(app, worker, poll_interval_s=settings.job_poll_interval_s)
