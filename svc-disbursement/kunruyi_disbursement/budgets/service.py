"""Budgets: finance funds a (policy, fiscal year) budget and tops it up; each funding is a ledger transfer."""

from __future__ import annotations

import uuid
from typing import Any

from kunruyi_common.auth import Principal
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_department, visible_departments
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.budgets import repository
from kunruyi_disbursement.budgets.schemas import BudgetFunding
from kunruyi_disbursement.disbursements.service import accounts_of, claim_awaiting, reserve_parked
from kunruyi_disbursement.exceptions import UnknownPolicy
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.policies.service import get_policy, register_placeholder


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
    # A top-up carries money only. Its ``policy`` registers a placeholder for a code nobody knows yet; a known
    # policy's rules (workflow, four eyes, caps, validity, status) are svc-policy's catalog's and stay as they are.
    registered = False
    if existing is None:
        if body.policy is None:
            raise UnknownPolicy(f"未知的政策编码：{body.policy_code}", field="policy_code")
        registered = await register_placeholder(session, body.policy_code, body.policy)
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
        "policy_registered": registered,
    }


async def list_budgets(
    session: AsyncSession,
    *,
    policy_code: str | None,
    fiscal_year: int | None,
    limit: int,
    principal: Principal | None = None,
) -> dict[str, Any]:
    """Budget accounts — of the caller's department's policies (admins: every department's)."""
    rows = await repository.budget_accounts(
        session,
        policy_code=policy_code,
        fiscal_year=fiscal_year,
        limit=limit,
        departments=visible_departments(principal),
    )
    awaiting = await repository.awaiting_by_budget(session)
    items = [{**ledger.account_view(r), "awaiting_budget": awaiting.get(r.code, 0)} for r in rows]
    return {"items": items, "next_cursor": None}
