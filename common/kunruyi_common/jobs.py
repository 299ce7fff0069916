"""Background jobs, one mechanism for every service: work too long for a request, done in chunks by every replica.

A job is a row in the service's own ``background_jobs`` table (its model mixes in :class:`JobColumns`; its alembic
history owns the table): its kind and parameters, its input (what the request handed over, e.g. a sheet's rows —
not shown on the API), its status (queued → running → succeeded / failed / cancelled), how many entities it has
(``total``) and has done (``done``), where the next chunk starts (``cursor``) and what it produced (``result``).

Replica-safe by the database alone: a worker (:class:`JobWorker`, run on every replica as a non-exclusive periodic
task) claims the oldest queued job — or a running one whose lease expired — with ``FOR UPDATE SKIP LOCKED``, so two
replicas never take the same job, and holds it under a lease (``lease_owner``, ``lease_expires_at``). Each chunk is
ONE transaction that locks the job row, checks the lease is still this worker's and the job still running (a
cancellation or a takeover stops it there), writes the chunk's effects with their outbox rows, and advances the
cursor, ``done`` and the heartbeat (which renews the lease). A replica killed mid-chunk loses that uncommitted chunk
only; when its lease expires another replica claims the job and resumes after the last committed chunk. What a kind
does per chunk lives with its domain (:class:`JobKind`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from kunruyi_common.errors import JobNotCancellable, JobNotFound
from kunruyi_common.periodic import start_periodic

logger = logging.getLogger("kunruyi.jobs")

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
STATUS_LABELS = {
    "queued": "排队中",
    "running": "运行中",
    "succeeded": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}


J = TypeVar("J", bound="JobColumns")


class JobColumns:
    """The columns of a service's ``background_jobs`` table (mix into the service's declarative model)."""

    __tablename__ = "background_jobs"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(
                "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
                name="ck_background_jobs_status",
            ),
            Index("ix_background_jobs_status_created", "status", "created_at"),
        )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # what the job is about, e.g. ``entitlement-run:<id>`` or ``policy:<code>:<version>``
    subject: Mapped[str] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    # where the next chunk starts (the last key processed), committed with the chunk's effects
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # what the request handed over (a sheet's rows, a list of companies): read by the chunks, never shown
    input: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    # what the job produced, shown on the API (e.g. an import's report)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass
class Chunk:
    """What one chunk did: entities processed, the cursor after them, counts to add up, figures that hold for the
    whole job (kept at their largest), whether nothing is left, and (optionally) the job's result so far."""

    processed: int
    cursor: dict[str, Any] | None
    counts: dict[str, int] = field(default_factory=dict)
    gauges: dict[str, int] = field(default_factory=dict)
    finished: bool = False
    result: dict[str, Any] | None = None
    failed: str | None = None
    """Set when the job ends here for its input's sake (e.g. a sheet with bad rows): it ends ``failed``, this
    chunk's transaction still commits (with the result saying why), and it is not retried."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: ``chunk(session, job, limit)`` does the next at most ``limit`` entities in the chunk's
    transaction; ``ended(session, job)`` runs in the transaction that ends the job (succeeded, failed or
    cancelled), e.g. to close the entitlement run it carries out."""

    chunk: Callable[[AsyncSession, Any, int], Awaitable[Chunk]]
    ended: Callable[[AsyncSession, Any], Awaitable[None]] | None = None


Ended = Callable[[AsyncSession, Any], Awaitable[None]]


async def db_now(session: AsyncSession) -> datetime:
    """The database's wall clock (``clock_timestamp()``, not the transaction's start): leases and heartbeats are
    compared with it in every replica."""
    return (await session.execute(select(func.clock_timestamp()))).scalar_one()  # type: ignore[no-any-return]


async def claim(session: AsyncSession, model: type[J], owner: str, lease_s: float) -> J | None:
    """The oldest job that is queued, or running under a lease that expired (its replica died or stalled), taken
    for ``owner``. Rows another replica is claiming or working on right now are skipped, not waited for."""
    row: Any = model
    job = (
        await session.execute(
            select(model)
            .where(
                or_(
                    row.status == "queued",
                    and_(
                        row.status == "running",
                        or_(row.lease_expires_at.is_(None), row.lease_expires_at < func.clock_timestamp()),
                    ),
                )
            )
            .order_by(row.created_at, row.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if job is None:
        return None
    now = await db_now(session)
    job.status = "running"
    job.lease_owner = owner
    job.lease_expires_at = now + timedelta(seconds=lease_s)
    job.heartbeat_at = now
    if job.started_at is None:
        job.started_at = now
    await session.flush()
    return job


async def lock(session: AsyncSession, model: type[J], job_id: uuid.UUID) -> J | None:
    """The job, locked until the transaction ends: a chunk and a cancellation never interleave."""
    row: Any = model
    return (
        await session.execute(
            select(model).where(row.id == job_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def get(session: AsyncSession, model: type[J], job_id: uuid.UUID) -> J | None:
    return await session.get(model, job_id, populate_existing=True)


async def get_job(session: AsyncSession, model: type[J], job_id: uuid.UUID) -> J:
    job = await get(session, model, job_id)
    if job is None:
        raise JobNotFound("后台任务不存在")
    return job


async def page(
    session: AsyncSession,
    model: type[J],
    *,
    status: str | None,
    kind: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    created_by: str | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[J]:
    """Newest first; ``where`` narrows the page to the jobs the caller may see (a service's access rule)."""
    row: Any = model
    query = select(model)
    if where is not None:
        query = query.where(where)
    if status is not None:
        query = query.where(row.status == status)
    if kind is not None:
        query = query.where(row.kind == kind)
    if created_by is not None:
        query = query.where(row.created_by == created_by)
    if before is not None:
        query = query.where(tuple_(row.created_at, row.id) < tuple_(literal(before[0]), literal(before[1])))
    query = query.order_by(row.created_at.desc(), row.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def enqueue(
    session: AsyncSession,
    model: type[J],
    *,
    kind: str,
    subject: str,
    params: dict[str, Any],
    total: int,
    created_by: str | None,
    input: dict[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> J:
    """A queued job, written in the caller's unit of work: it exists once that commits, and is picked up then.
    ``extra``: values of the service's own columns beside the kit's (e.g. the department the job belongs to)."""
    job = model()
    job.id = uuid.uuid4()
    job.kind = kind
    job.subject = subject
    job.params = params
    job.status = "queued"
    job.total = total
    job.done = 0
    job.chunks = 0
    job.counts = {}
    job.attempts = 0
    job.created_by = created_by
    job.input = input
    for name, value in (extra or {}).items():
        setattr(job, name, value)
    session.add(job)
    await session.flush()
    return job


def merge_counts(job: JobColumns, chunk: Chunk) -> dict[str, Any]:
    merged = dict(job.counts or {})
    for name, value in chunk.counts.items():
        merged[name] = int(merged.get(name, 0)) + value
    for name, value in chunk.gauges.items():
        merged[name] = max(int(merged.get(name, 0)), value)
    return merged


async def cancel(
    session: AsyncSession,
    model: type[J],
    job_id: uuid.UUID,
    ended: Ended,
    *,
    check: Callable[[J], None] | None = None,
) -> J:
    """Stop a queued or running job. The job row is locked first, so a chunk in flight finishes (or not) before
    this commits, and the worker's next chunk sees ``cancelled`` and does nothing: what was committed stays.

    ``check`` is the service's access rule, given the locked job before anything changes: it raises (e.g. a
    403 problem) when the caller may not cancel it, so a refusal never tells whether the job had ended."""
    job = await lock(session, model, job_id)
    if job is None:
        raise JobNotFound("后台任务不存在")
    if check is not None:
        check(job)
    if job.status in FINISHED:
        raise JobNotCancellable(f"后台任务已结束（{STATUS_LABELS[job.status]}），不能取消")
    job.status = "cancelled"
    job.finished_at = await db_now(session)
    job.lease_owner = None
    job.lease_expires_at = None
    await ended(session, job)
    await session.flush()
    return job


def progress(job: JobColumns, now: datetime) -> tuple[float | None, float | None]:
    """Rate (entities per second since it started) and the seconds left at that rate."""
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
    return rate, eta_s


def job_public(job: JobColumns, now: datetime, url: str) -> dict[str, Any]:
    """A job as the API shows it (``JobOut``), with its rate and the time left; never its input."""
    rate, eta_s = progress(job, now)
    return {
        "id": str(job.id),
        "url": url,
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
        "result": job.result,
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


# --- the worker ----------------------------------------------------------------------------------------------------

Step = Literal["more", "finished", "lost", "failed"]


def worker_name() -> str:
    """Who holds a lease: host, process and a random tag (a restarted process is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobWorker:
    """Claims a service's jobs and works them chunk by chunk (see the module's docstring)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: type[JobColumns],
        kinds: Mapping[str, JobKind],
        *,
        owner: str | None = None,
        chunk_size: int = 5000,
        lease_s: float = 60.0,
        max_attempts: int = 3,
        after_commit: Callable[[], object] | None = None,
        chunk_sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.model = model
        self.kinds = kinds
        self.owner = owner or worker_name()
        self.chunk_size = chunk_size
        self.chunk_sizes = dict(chunk_sizes or {})
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.after_commit = after_commit

    async def tick(self, _session: AsyncSession) -> bool:
        """The periodic task's tick: one job, claimed and worked to its end (or until its lease is lost)."""
        return await self.run_once() is not None

    async def claim(self) -> uuid.UUID | None:
        async with self.sessionmaker() as session, session.begin():
            job = await claim(session, self.model, self.owner, self.lease_s)
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
                job = await lock(session, self.model, job_id)
                if job is None or job.status != "running" or job.lease_owner != self.owner:
                    return "lost"
                kind = self.kinds[job.kind]
                chunk = await kind.chunk(session, job, self.chunk_sizes.get(job.kind, self.chunk_size))
                now = await db_now(session)
                job.done += chunk.processed
                job.attempts = 0
                job.chunks += 1
                job.cursor = chunk.cursor
                job.counts = merge_counts(job, chunk)
                if chunk.result is not None:
                    job.result = chunk.result
                job.heartbeat_at = now
                job.lease_expires_at = now + timedelta(seconds=self.lease_s)
                if chunk.failed is not None:
                    job.error = chunk.failed[:500]
                    await self._end(session, job, "failed", kind)
                elif chunk.finished:
                    # entities added while it ran are counted too
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
        if chunk.failed is not None:
            return "failed"
        return "finished" if chunk.finished else "more"

    async def _end(self, session: AsyncSession, job: JobColumns, status: str, kind: JobKind) -> None:
        job.status = status
        job.finished_at = await db_now(session)
        job.lease_owner = None
        job.lease_expires_at = None
        if kind.ended is not None:
            await kind.ended(session, job)

    async def _record_failure(self, job_id: uuid.UUID, exc: Exception) -> None:
        """A chunk that raised: its transaction rolled back; the job is given back to be retried by any replica,
        and failed after ``max_attempts`` failures in a row."""
        async with self.sessionmaker() as session, session.begin():
            job = await lock(session, self.model, job_id)
            if job is None or job.status != "running" or job.lease_owner != self.owner:
                return
            job.attempts += 1
            job.error = f"{type(exc).__name__}: {exc}"[:500]
            if job.attempts >= self.max_attempts:
                await self._end(session, job, "failed", self.kinds[job.kind])
            else:
                job.lease_owner = None
                job.lease_expires_at = await db_now(session)
            await session.flush()


def run_job_worker(app: FastAPI, worker: JobWorker, *, poll_interval_s: float) -> None:
    """Run ``worker`` on every replica, from an ``on_startup`` hook: a non-exclusive periodic task (``FOR UPDATE SKIP
    LOCKED`` shares the jobs, not the tick) that takes the next job at once while there is work."""
    app.state.job_worker = worker
    start_periodic(
        app,
        job="background-jobs",
        tick=worker.tick,
        interval_s=poll_interval_s,
        exclusive=False,
        again_when_busy=True,
    )


class JobOut(BaseModel):
    """A job as the API shows it (:func:`job_public`): progress (done/total, rate, ETA), status, result."""

    id: str
    url: str = Field(description="the job's address (GET for progress)")
    kind: str
    subject: str
    params: dict[str, Any]
    status: str = Field(description="queued / running / succeeded / failed / cancelled")
    status_label: str = Field(description="排队中 / 运行中 / 已完成 / 失败 / 已取消")
    total: int
    done: int
    chunks: int
    rate_per_s: float | None = Field(description="entities per second since it started")
    eta_s: float | None = Field(description="seconds left at that rate (0 when done)")
    counts: dict[str, Any]
    result: dict[str, Any] | None = None
    attempts: int
    error: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
