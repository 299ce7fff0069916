"""Budgets: finance funds a (policy, fiscal year) budget and tops it up; each funding is a ledger transfer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from kunruyi_common.auth import Principal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import IdempotencyKeyRequired
from kunruyi_common.idempotency import idempotent
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import audited, ensure_department
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.budgets.auth import FinanceStaff, OfficerReviewerApproverOrFinance
from kunruyi_disbursement.disbursements.service import accounts_of, claim_awaiting, reserve_parked
from kunruyi_disbursement.exceptions import UnknownPolicy
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.policies.service import LocalPolicy, PolicyData, get_policy, upsert_policy

router = APIRouter(prefix="/api/v1/budgets", tags=["预算 budgets"])


class BudgetFunding(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy_code": "KS-KJ-001",
                    "fiscal_year": 2025,
                    "amount_fen": 5000000000,
                    "memo": "2025 年度预算下达",
                }
            ]
        }
    )

    policy_code: str = Field(min_length=1, max_length=64)
    fiscal_year: int = Field(ge=2000, le=2100)
    amount_fen: int = Field(gt=0, description="本次拨入预算（分）")
    transfer_id: uuid.UUID | None = Field(
        None, description="转账 id（幂等键）；缺省时由 Idempotency-Key 推导；两者必有其一"
    )
    memo: str | None = Field(None, max_length=200)
    policy: LocalPolicy | None = Field(
        None, description="在本地登记政策（政策服务尚未发布时，用于测试与演示）"
    )


async def fund_budget(
    session: AsyncSession,
    body: BudgetFunding,
    actor: str,
    transfer_id: uuid.UUID,
    principal: Principal | None = None,
) -> dict[str, Any]:
    existing = await get_policy(session, body.policy_code)
    # Funding a policy's budget is its department's (admins aside): the department it has, and — when this request
    # registers or re-registers it — the one it would get, so nobody moves a policy into their own department.
    departments: list[str | None] = []
    if existing is not None:
        departments.append(existing.department)
    if body.policy is not None:
        departments.append(body.policy.department)
    for department in departments:
        ensure_department(
            principal,
            department,
            entity_type="budget",
            entity_id=ledger.budget_code(body.policy_code, body.fiscal_year),
            action="budget.fund",
        )
    if body.policy is not None:
        p = body.policy
        await upsert_policy(
            session,
            PolicyData(
                code=body.policy_code,
                title=p.title,
                department=p.department,
                mode=p.mode,
                beneficiary=p.beneficiary,
                version=p.version,
                max_amount_fen=p.max_amount_fen,
                valid_from=p.valid_from,
                valid_to=p.valid_to,
                status="published",
            ),
            source="local",
            district=p.district,
            review_stages=p.review_stages,
            notice_days=p.notice_days,
            four_eyes=p.four_eyes,
        )
    elif existing is None:
        raise UnknownPolicy(f"未知的政策编码：{body.policy_code}", field="policy_code")
    funding = await ledger.ensure_account(session, ledger.FUNDING_ACCOUNT, "funding")
    budget = await ledger.ensure_budget_account(session, body.policy_code, body.fiscal_year)
    # Disbursements parked for lack of budget continue in this same unit of work. The lock order of every money
    # path: the parked rows, then every account this transaction touches (funding, budget, the parked ones'
    # payables) in one statement in id order, then the audit chain head at commit.
    parked = await claim_awaiting(
        session, policy_code=body.policy_code, fiscal_year=body.fiscal_year, skip_locked=False
    )
    await ledger.lock_accounts(session, {funding, budget} | accounts_of(parked))
    created = await ledger.create_transfer(
        session,
        ledger.Transfer(
            id=transfer_id,
            debit_account_id=funding,
            credit_account_id=budget,
            amount_fen=body.amount_fen,
            phase="single",
            cause_type="budget_funding",
            cause_id=f"{body.policy_code}:{body.fiscal_year}",
            memo=body.memo or "预算拨入",
        ),
    )
    resumed = 0
    if created:
        resumed = await reserve_parked(session, parked, actor=actor)
        await audit.append(
            session,
            actor=actor,
            action="budget.funded",
            entity_type="budget",
            entity_id=ledger.budget_code(body.policy_code, body.fiscal_year),
            data={"transfer_id": str(transfer_id), "amount_fen": body.amount_fen, "resumed": resumed},
        )
    account = await ledger.account_balance(session, ledger.budget_code(body.policy_code, body.fiscal_year))
    return {
        "budget": account,
        "transfer_id": str(transfer_id),
        "created": created,
        "resumed_disbursements": resumed,
    }


@router.post("", status_code=201, summary="拨入或追加政策年度预算（财务，政策所属部门）")
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


@router.get("", summary="预算账户余额")
async def list_budgets(
    session: SessionDep,
    principal: OfficerReviewerApproverOrFinance,
    policy_code: str | None = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    rows = (
        (
            await session.execute(
                text(
                    "SELECT * FROM ledger_accounts WHERE kind = 'budget' AND (CAST(:p AS text) IS NULL OR policy_code = :p) "
                    "AND (CAST(:y AS int) IS NULL OR fiscal_year = :y) ORDER BY policy_code, fiscal_year LIMIT :n"
                ),
                {"p": policy_code, "y": fiscal_year, "n": limit},
            )
        )
        .mappings()
        .all()
    )
    awaiting: dict[str, int] = dict(
        (
            await session.execute(
                text(
                    "SELECT 'budget:' || policy_code || ':' || fiscal_year, count(*) FROM disbursements "
                    "WHERE status = 'awaiting_budget' GROUP BY 1"
                )
            )
        ).all()
    )
    items = [{**ledger.account_view(r), "awaiting_budget": int(awaiting.get(r["code"], 0))} for r in rows]
    return {"items": items, "next_cursor": None}
