"""Budgets: finance funds a (policy, fiscal year) budget and tops it up; each funding is a ledger transfer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import IdempotencyKeyRequired
from kunruyi_common.idempotency import idempotent

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.budgets.auth import FinanceStaff, OfficerReviewerApproverOrFinance
from kunruyi_disbursement.budgets.schemas import BudgetFunded, BudgetFunding, BudgetPage
from kunruyi_disbursement.budgets.service import fund_budget, list_budgets

router = APIRouter(prefix="/api/v1/budgets", tags=["预算 budgets"])


@router.post(
    "", status_code=201, response_model=BudgetFunded, summary="拨入或追加政策年度预算（财务，政策所属部门）"
)
async def post_budget(
    body: BudgetFunding,
    request: Request,
    session: SessionDep,
    principal: FinanceStaff,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    transfer_id = body.transfer_id
    if transfer_id is None:
        if not idempotency_key:
            # Without a key a retried request (a timeout, a double click) would fund the budget twice.
            raise IdempotencyKeyRequired(
                "预算拨入必须带幂等键：请求体 transfer_id 或 Idempotency-Key 头",
                field="transfer_id",
            )
        transfer_id = uuid.uuid5(uuid.NAMESPACE_URL, f"budget:{principal.subject}:{idempotency_key}")

    async def produce() -> tuple[int, Any]:
        return 201, await fund_budget(session, body, principal.subject, transfer_id, principal)

    async def fund() -> JSONResponse:
        return await idempotent(
            session, idempotency_key, principal, "POST /api/v1/budgets", body.model_dump(mode="json"), produce
        )

    return await audited(session, request, principal, fund)


@router.get("", summary="预算账户余额（工作人员仅见本部门政策的预算；管理员见全部）")
async def get_budgets(
    session: SessionDep,
    principal: OfficerReviewerApproverOrFinance,
    policy_code: str | None = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BudgetPage:
    return BudgetPage.model_validate(
        await list_budgets(
            session, policy_code=policy_code, fiscal_year=fiscal_year, limit=limit, principal=principal
        )
    )
