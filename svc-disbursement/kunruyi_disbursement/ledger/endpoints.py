from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from kunruyi_common.auth import Principal, require_roles
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import NotFound

from kunruyi_disbursement.ledger import service as ledger

router = APIRouter(prefix="/api/v1/ledger", tags=["账本 ledger"])
Staff = Annotated[Principal, Depends(require_roles("finance", "approver"))]


@router.get("/invariants", summary="账本不变量检查：借贷平衡、余额等于转账之和")
async def invariants(session: SessionDep, principal: Staff) -> dict[str, Any]:
    return await ledger.check_invariants(session)


@router.get("/accounts/{code}", summary="账户余额")
async def account(code: str, session: SessionDep, principal: Staff) -> dict[str, Any]:
    view = await ledger.account_balance(session, code)
    if view is None:
        raise NotFound("账户不存在", code="account_not_found")
    return view
