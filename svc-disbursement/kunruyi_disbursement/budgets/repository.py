"""Queries of the budget views: budget accounts and the disbursements parked for them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import disbursements, ledger_accounts, policies


async def budget_accounts(
    session: AsyncSession,
    *,
    policy_code: str | None,
    fiscal_year: int | None,
    limit: int,
    departments: list[str] | None = None,
) -> Sequence[Row[Any]]:
    """Budget accounts; with ``departments``, only those of these departments' policies."""
    statement = select(ledger_accounts).where(ledger_accounts.c.kind == "budget")
    if departments is not None:
        statement = statement.where(
            ledger_accounts.c.policy_code.in_(
                select(policies.c.code).where(policies.c.department.in_(departments))
            )
        )
    if policy_code is not None:
        statement = statement.where(ledger_accounts.c.policy_code == policy_code)
    if fiscal_year is not None:
        statement = statement.where(ledger_accounts.c.fiscal_year == fiscal_year)
    statement = statement.order_by(ledger_accounts.c.policy_code, ledger_accounts.c.fiscal_year).limit(limit)
    return (await session.execute(statement)).all()


async def awaiting_by_budget(session: AsyncSession) -> dict[str, int]:
    """Budget account code → how many disbursements wait for that budget."""
    d = disbursements.c
    statement = (
        select(d.policy_code, d.fiscal_year, func.count())
        .where(d.status == "awaiting_budget")
        .group_by(d.policy_code, d.fiscal_year)
    )
    return {f"budget:{p}:{y}": int(n) for p, y, n in (await session.execute(statement)).all()}
