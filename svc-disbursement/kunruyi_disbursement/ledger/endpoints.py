from __future__ import annotations

from fastapi import APIRouter
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.ledger.auth import FinanceOrApprover
from kunruyi_disbursement.ledger.exceptions import AccountNotFound
from kunruyi_disbursement.ledger.schemas import AccountRead, InvariantsReport

router = APIRouter(prefix="/api/v1/ledger", tags=["账本 ledger"])


@router.get("/invariants", summary="账本不变量检查：借贷平衡、余额等于转账之和")
async def invariants(session: SessionDep, principal: FinanceOrApprover) -> InvariantsReport:
    return InvariantsReport.model_validate(await ledger.check_invariants(session))


@router.get("/accounts/{code}", summary="账户余额")
async def account(code: str, session: SessionDep, principal: FinanceOrApprover) -> AccountRead:
    view = await ledger.account_balance(session, code)
    if view is None:
        raise AccountNotFound("账户不存在")
    return AccountRead.model_validate(view)
