"""svc-policy's ``background_jobs`` rows through the kit's job mechanism (``kunruyi_common.jobs``): claim one
(``FOR UPDATE SKIP LOCKED``), lock one for a chunk, list them."""

from __future__ import annotations

import uuid
from datetime import datetime

from kunruyi_common import jobs
from kunruyi_common.jobs import ACTIVE, db_now
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kunruyi_policy.models import BackgroundJob

__all__ = ["ACTIVE", "claim", "db_now", "get", "lock", "page"]


async def claim(session: AsyncSession, owner: str, lease_s: float) -> BackgroundJob | None:
    return await jobs.claim(session, BackgroundJob, owner, lease_s)


async def lock(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob | None:
    return await jobs.lock(session, BackgroundJob, job_id)


async def get(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob | None:
    return await jobs.get(session, BackgroundJob, job_id)


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    where: ColumnElement[bool] | None = None,
) -> list[BackgroundJob]:
    """Newest first; ``where``: the jobs the caller may see (jobs/access.py)."""
    return await jobs.page(
        session, BackgroundJob, status=status, kind=kind, before=before, limit=limit, where=where
    )
