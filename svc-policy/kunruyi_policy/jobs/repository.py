"""The ``background_jobs`` rows: claim one (``FOR UPDATE SKIP LOCKED``), lock one for a chunk, list them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.models import BackgroundJob

ACTIVE = ("queued", "running")


async def db_now(session: AsyncSession) -> datetime:
    """The database's wall clock (``clock_timestamp()``, not the transaction's start): leases and heartbeats are
    compared with it in every replica."""
    return (await session.execute(select(func.clock_timestamp()))).scalar_one()  # type: ignore[no-any-return]


async def claim(session: AsyncSession, owner: str, lease_s: float) -> BackgroundJob | None:
    """The oldest job that is queued, or running under a lease that expired (its replica died or stalled), taken
    for ``owner``. Rows another replica is claiming or working on right now are skipped, not waited for."""
    job = (
        await session.execute(
            select(BackgroundJob)
            .where(
                or_(
                    BackgroundJob.status == "queued",
                    and_(
                        BackgroundJob.status == "running",
                        or_(
                            BackgroundJob.lease_expires_at.is_(None),
                            BackgroundJob.lease_expires_at < func.clock_timestamp(),
                        ),
                    ),
                )
            )
            .order_by(BackgroundJob.created_at, BackgroundJob.id)
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


async def lock(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob | None:
    """The job, locked until the transaction ends: a chunk and a cancellation never interleave."""
    return (
        await session.execute(
            select(BackgroundJob)
            .where(BackgroundJob.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def get(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob | None:
    return await session.get(BackgroundJob, job_id, populate_existing=True)


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[BackgroundJob]:
    """Newest first."""
    query = select(BackgroundJob)
    if status is not None:
        query = query.where(BackgroundJob.status == status)
    if kind is not None:
        query = query.where(BackgroundJob.kind == kind)
    if before is not None:
        query = query.where(
            tuple_(BackgroundJob.created_at, BackgroundJob.id)
            < tuple_(literal(before[0]), literal(before[1]))
        )
    query = query.order_by(BackgroundJob.created_at.desc(), BackgroundJob.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
