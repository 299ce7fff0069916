from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from kunruyi_common.db import SessionDep
from kunruyi_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.jobs import repository, service
from kunruyi_policy.jobs.access import JobReader, job_reader
from kunruyi_policy.jobs.auth import OfficerOrFinance
from kunruyi_policy.jobs.kinds import KINDS
from kunruyi_policy.jobs.schemas import JobPage, PolicyJobOut
from kunruyi_policy.models import BackgroundJob

router = APIRouter(prefix="/api/v1", tags=["后台任务 jobs"])

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobKindName = Literal["entitlement_run", "policy_evaluation", "catalog_import"]


@router.get(
    "/jobs/{job_id}",
    response_model=PolicyJobOut,
    summary="后台任务进度：已完成/总数、速率、预计剩余时间、状态（本部门的任务；免申即享批次各部门可看）",
)
async def get_job(job_id: uuid.UUID, session: SessionDep, principal: OfficerOrFinance) -> dict[str, Any]:
    job = await service.get_job(session, job_id)
    reader = await job_reader(session, principal)
    reader.check_read(job)
    return _shown(job, await repository.db_now(session), reader)


@router.get(
    "/jobs",
    response_model=JobPage,
    summary="后台任务列表（最新在前；按状态、类型筛选；只列出本部门的任务与免申即享批次，管理员看全部）",
)
async def list_jobs(
    session: SessionDep,
    principal: OfficerOrFinance,
    status: JobStatus | None = None,
    kind: JobKindName | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    decoded = decode_cursor(cursor, 2)
    before: tuple[datetime, uuid.UUID] | None = None
    if decoded is not None:
        try:
            before = (datetime.fromisoformat(str(decoded[0])), uuid.UUID(str(decoded[1])))
        except ValueError:
            raise invalid_cursor() from None
    reader = await job_reader(session, principal)
    rows = await repository.page(
        session, status=status, kind=kind, before=before, limit=limit + 1, where=reader.visible()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    now = await repository.db_now(session)
    last = rows[-1] if rows else None
    return {
        "items": [_shown(job, now, reader) for job in rows],
        "next_cursor": encode_cursor(last.created_at.isoformat(), str(last.id)) if more and last else None,
    }


def _shown(job: BackgroundJob, now: datetime, reader: JobReader) -> dict[str, Any]:
    """The job's progress, whose it is, and whether this caller may cancel it (the console shows 取消 only then)."""
    return {
        **service.job_public(job, now),
        "department": job.department,
        "may_cancel": reader.may_cancel(job),
    }


async def _ended(session: AsyncSession, job: BackgroundJob) -> None:
    kind = KINDS.get(job.kind)
    if kind is not None and kind.ended is not None:
        await kind.ended(session, job)


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=PolicyJobOut,
    summary="取消排队中或运行中的后台任务（已提交的分块保留，不再继续；本部门的任务，管理员可取消全部）",
)
async def cancel_job(job_id: uuid.UUID, session: SessionDep, principal: OfficerOrFinance) -> dict[str, Any]:
    reader = await job_reader(session, principal)
    job = await service.cancel(session, job_id, _ended, check=reader.check_cancel)
    return _shown(job, await repository.db_now(session), reader)
