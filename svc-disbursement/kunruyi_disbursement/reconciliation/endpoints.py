from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from kunruyi_common.db import SessionDep
from pydantic import BaseModel, ConfigDict

from kunruyi_disbursement.reconciliation.auth import FinanceStaff
from kunruyi_disbursement.reconciliation.service import reconcile

router = APIRouter(prefix="/api/v1/reconciliation", tags=["对账 reconciliation"])


class RunIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"date": "2025-06-30"}]})

    date: date


@router.post("/runs", status_code=201, summary="按日对账：银行日对账单 vs 账本")
async def run(
    body: RunIn,
    request: Request,
    session: SessionDep,
    principal: FinanceStaff,
) -> dict[str, Any]:
    return await reconcile(session, request.app.state.settings, body.date, actor=principal.subject)
