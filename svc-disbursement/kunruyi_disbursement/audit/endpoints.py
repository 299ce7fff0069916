from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from kunruyi_common.auth import Principal, require_roles
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.audit import service as audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/verify", summary="校验审计日志哈希链（发现被改动或删除的记录）")
async def verify(
    session: SessionDep, principal: Annotated[Principal, Depends(require_roles("finance", "approver"))]
) -> dict[str, Any]:
    return await audit.verify(session)
