from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.access import visible_departments
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.audit.auth import FinanceOrApprover
from kunruyi_disbursement.audit.schemas import AuditEntries, ChainVerification

router = APIRouter(prefix="/api/v1/audit", tags=["审计 audit"])


@router.get("/verify", summary="校验审计日志哈希链（发现被改动或删除的记录）")
async def verify(session: SessionDep, principal: FinanceOrApprover) -> ChainVerification:
    return ChainVerification.model_validate(await audit.verify(session))


@router.get(
    "/entries",
    summary="审计日志条目（最新在前；可按动作、对象筛选，如 action=access.refused）：管理员见全部，"
    "财务与审批人只见本部门的政策、预算、申报、拨付与人才计划的条目",
)
async def entries(
    session: SessionDep,
    principal: FinanceOrApprover,
    action: Annotated[str | None, Query(max_length=100)] = None,
    entity_type: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEntries:
    items = await audit.entries(
        session,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        limit=limit,
        departments=visible_departments(principal),
    )
    return AuditEntries.model_validate({"items": items})
