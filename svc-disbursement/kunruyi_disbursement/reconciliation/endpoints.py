from __future__ import annotations

from fastapi import APIRouter, Request
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.reconciliation.auth import FinanceStaff
from kunruyi_disbursement.reconciliation.schemas import ReconciliationReport, RunIn
from kunruyi_disbursement.reconciliation.service import reconcile

router = APIRouter(prefix="/api/v1/reconciliation", tags=["对账 reconciliation"])


@router.post("/runs", status_code=201, summary="按日对账：银行日对账单 vs 账本")
async def run(
    body: RunIn,
    request: Request,
    session: SessionDep,
    principal: FinanceStaff,
) -> ReconciliationReport:
    report = await reconcile(session, request.app.state.settings, body.date, actor=principal.subject)
    return ReconciliationReport.model_validate(report)
