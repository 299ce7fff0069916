from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from kunruyi_common.auth import Principal, require_roles
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import NotFound
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.entitlements.service import run_public, start_run, today
from kunruyi_policy.models import EntitlementRun

router = APIRouter(prefix="/api/v1", tags=["entitlements 免申即享"])
Staff = Annotated[Principal, Depends(require_roles("officer", "finance"))]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluation_date: date | None = None


class RunOut(BaseModel):
    id: str
    period: str
    evaluation_date: date
    status: str
    catalog_digest: str
    counts: dict[str, int]
    duration_ms: int | None
    started_by: str | None
    started_at: Any
    finished_at: Any
    created: bool | None = None


@router.post(
    "/entitlement-runs",
    response_model=RunOut,
    status_code=201,
    summary="免申即享全量批次：对读模型中全部主体评估全部免申即享政策（同一期间与目录状态幂等）",
)
async def post_run(body: RunIn, session: SessionDep, principal: Staff, response: Response) -> dict[str, Any]:
    run, created = await start_run(session, body.evaluation_date or today(), principal.subject)
    if not created:
        response.status_code = 200
    return {**run_public(run), "created": created}


@router.get("/entitlement-runs/{run_id}", response_model=RunOut, summary="批次状态与计数")
async def get_run(run_id: uuid.UUID, session: SessionDep, principal: Staff) -> dict[str, Any]:
    run = await _get(session, run_id)
    return run_public(run)


async def _get(session: AsyncSession, run_id: uuid.UUID) -> EntitlementRun:
    run = await session.get(EntitlementRun, run_id)
    if run is None:
        raise NotFound("批次不存在", code="run_not_found")
    return run
