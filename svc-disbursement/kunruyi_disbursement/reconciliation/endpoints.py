from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.reconciliation.auth import FinanceReaders, FinanceStaff
from kunruyi_disbursement.reconciliation.schemas import (
    ReconciliationReport,
    ReconciliationRunList,
    RunIn,
)
from kunruyi_disbursement.reconciliation.service import recent_runs, reconcile, scoped_report

router = APIRouter(prefix="/api/v1/reconciliation", tags=["对账 reconciliation"])


@router.post("/runs", status_code=201, summary="按日对账：银行日对账单 vs 账本")
async def run(
    body: RunIn,
    request: Request,
    session: SessionDep,
    principal: FinanceStaff,
) -> ReconciliationReport:
    report = await reconcile(session, request.app.state.settings, body.date, actor=principal.subject)
    return ReconciliationReport.model_validate(await scoped_report(session, report, principal))


@router.get(
    "/runs",
    response_model=ReconciliationRunList,
    summary="最近的对账记录（新的在前），每条差异附账本中对应的拨付（政策、对象、状态）；"
    "部门工作人员见整次对账的合计，差异明细只见本部门的（其他部门的只计数）",
)
async def runs(
    session: SessionDep,
    principal: FinanceReaders,
    limit: Annotated[int, Query(ge=1, le=100, description="条数")] = 20,
) -> dict[str, object]:
    return {"items": await recent_runs(session, limit, principal)}
