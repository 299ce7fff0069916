"""Queries of the reports: settled disbursements grouped, over the Core tables of ``kunruyi_disbursement.tables``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.reports.schemas import GroupBy
from kunruyi_disbursement.tables import disbursements, policies

d = disbursements.c
p = policies.c


def way() -> ColumnElement[str]:
    """How the money was obtained: ``automatic`` (免申即享, no application), ``quick`` (即申即享: an application to a
    policy whose mode is quick, in the local read model of svc-policy's catalog), ``application`` (申报)."""
    return case((d.mode == "automatic", "automatic"), (p.mode == "quick", "quick"), else_="application")


def _group_key(group_by: GroupBy) -> ColumnElement[Any]:
    if group_by == "policy":
        return d.policy_code
    if group_by == "department":
        return func.coalesce(d.department, "未注明")
    if group_by == "district":
        return func.coalesce(d.district, "未注明")
    if group_by == "month":
        # The month in Beijing time (timezone(zone, t) is ``t AT TIME ZONE zone``).
        return func.to_char(func.timezone("Asia/Shanghai", d.settled_at), "YYYY-MM")
    return way()


async def settled_totals(
    session: AsyncSession, group_by: GroupBy, *, date_from: date | None, date_to: date | None
) -> Sequence[Any]:
    """Per group: key, projects, amount_fen, automatic_ and quick_ projects and amount_fen; the largest amount
    first. The date range is on the Beijing date of the settlement."""
    # The key is computed in a subquery and grouped by name: its constants are bind parameters, and PostgreSQL would
    # not see the same expression in SELECT and GROUP BY.
    settled = (
        select(_group_key(group_by).label("key"), d.amount_fen, way().label("way"))
        .select_from(disbursements.outerjoin(policies, p.code == d.policy_code))
        .where(d.status == "settled")
    )
    settled_on = cast(func.timezone("Asia/Shanghai", d.settled_at), Date)
    if date_from is not None:
        settled = settled.where(settled_on >= literal(date_from, Date()))
    if date_to is not None:
        settled = settled.where(settled_on < literal(date_to + timedelta(days=1), Date()))
    rows = settled.subquery()
    amount = func.sum(rows.c.amount_fen).label("amount_fen")
    automatic = rows.c.way == "automatic"
    quick = rows.c.way == "quick"
    statement = (
        select(
            rows.c.key,
            func.count().label("projects"),
            amount,
            func.count().filter(automatic).label("automatic_projects"),
            func.coalesce(func.sum(rows.c.amount_fen).filter(automatic), 0).label("automatic_amount_fen"),
            func.count().filter(quick).label("quick_projects"),
            func.coalesce(func.sum(rows.c.amount_fen).filter(quick), 0).label("quick_amount_fen"),
        )
        .group_by(rows.c.key)
        .order_by(amount.desc(), rows.c.key)
    )
    return (await session.execute(statement)).all()
