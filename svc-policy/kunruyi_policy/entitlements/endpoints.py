from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from kunruyi_common.clock import local_today
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog.access import department_reader
from kunruyi_policy.entitlements.auth import OfficerOrFinance, ReadPartnerOfficerFinanceOrReviewer
from kunruyi_policy.entitlements.exceptions import RunNotFound
from kunruyi_policy.entitlements.service import run_public, start_run
from kunruyi_policy.models import Entitlement, EntitlementRun, Policy

router = APIRouter(prefix="/api/v1", tags=["免申即享 entitlements"])


class RunIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"evaluation_date": "2025-06-30"}]}, extra="forbid"
    )

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
    job_id: str | None
    job_url: str | None
    created: bool | None = None


@router.post(
    "/entitlement-runs",
    response_model=RunOut,
    status_code=202,
    summary="免申即享全量批次：排入后台任务（202，Location 为任务地址），同一期间与目录状态幂等（200，同一批次与任务）",
)
async def post_run(
    body: RunIn, session: SessionDep, principal: OfficerOrFinance, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def produce() -> tuple[int, RunOut]:
        run, _job, created = await start_run(
            session,
            body.evaluation_date or local_today(),
            principal.subject,
            department=principal.department,
        )
        return (202 if created else 200), RunOut.model_validate({**run_public(run), "created": created})

    response = await idempotent(session, idempotency_key, principal, "entitlement-runs", body, produce)
    job_url = json.loads(bytes(response.body)).get("job_url")
    if job_url:
        response.headers["Location"] = job_url
    return response


@router.get("/entitlement-runs/{run_id}", response_model=RunOut, summary="批次状态与计数")
async def get_run(run_id: uuid.UUID, session: SessionDep, principal: OfficerOrFinance) -> dict[str, Any]:
    run = await _get(session, run_id)
    return run_public(run)


async def _get(session: AsyncSession, run_id: uuid.UUID) -> EntitlementRun:
    run = await session.get(EntitlementRun, run_id)
    if run is None:
        raise RunNotFound("批次不存在")
    return run


class EntitlementOut(BaseModel):
    entitlement_id: str
    policy_code: str
    entity_type: str
    entity_id: str
    period: str
    version: int
    amount_fen: int
    trace_digest: str
    run_id: str | None
    determined_at: Any
    sequence: int = Field(0, description="补充认定序号：0 为本期认定，≥1 为同期新增贷款的补充认定")
    supplement_of: str | None = Field(None, description="补充认定所补充的原认定")
    loan_keys: list[str] | None = Field(None, description="融资类事项：本认定覆盖的贷款（机构|贷款编号）")


class EntitlementPage(BaseModel):
    items: list[EntitlementOut]
    next_cursor: str | None


@router.get(
    "/entitlements",
    response_model=EntitlementPage,
    summary="已确定的免申即享资格（按主体、政策、期间筛选；工作人员只列本部门政策的，管理员与合作方全部）",
)
async def list_entitlements(
    session: SessionDep,
    principal: ReadPartnerOfficerFinanceOrReviewer,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Literal["enterprise", "talent"] | None = None,
    policy_code: Annotated[str | None, Query(max_length=60)] = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    query = select(Entitlement)
    # a department's staff list what their department's policies determined (svc-disbursement's rule for the
    # disbursements that pay them); admins, partners with policy:read and services every entitlement
    own = (await department_reader(session, principal)).own_policies()
    if own is not None:
        query = query.where(Entitlement.policy_code.in_(select(Policy.code).where(own)))
    for column, value in (
        (Entitlement.entity_id, entity_id),
        (Entitlement.entity_type, entity_type),
        (Entitlement.policy_code, policy_code),
        (Entitlement.period, period),
    ):
        if value is not None:
            query = query.where(column == value)
    decoded = decode_cursor(cursor, 1)
    if decoded is not None:
        try:
            query = query.where(Entitlement.id > uuid.UUID(str(decoded[0])))
        except ValueError:
            raise invalid_cursor() from None
    rows = list((await session.execute(query.order_by(Entitlement.id).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "entitlement_id": str(e.id),
                "policy_code": e.policy_code,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "period": e.period,
                "version": e.version,
                "amount_fen": e.amount_fen,
                "trace_digest": e.trace_digest,
                "run_id": str(e.run_id) if e.run_id else None,
                "determined_at": e.determined_at,
                "sequence": e.sequence,
                "supplement_of": str(e.supplement_of) if e.supplement_of else None,
                "loan_keys": e.loan_keys,
            }
            for e in rows
        ],
        "next_cursor": encode_cursor(str(rows[-1].id)) if more and rows else None,
    }
