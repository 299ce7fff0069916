"""Queries of reconciliation: the ledger's side of a statement date and the runs, over the Core tables of
``kunruyi_disbursement.tables``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import disbursements, policies, reconciliation_runs, superseded_payments


async def ledger_side(
    session: AsyncSession, statement_date: date, references: list[uuid.UUID]
) -> Sequence[Any]:
    """(reservation_id, status, amount_fen) of the payments settled or returned on ``statement_date`` (the
    database's time zone, UTC) and of every disbursement the bank names."""
    d = disbursements.c
    statement = select(d.reservation_id, d.status, d.amount_fen).where(
        or_(
            and_(
                d.settled_at >= literal(statement_date, Date()),
                d.settled_at < literal(statement_date + timedelta(days=1), Date()),
                d.status.in_(("settled", "returned")),
            ),
            d.reservation_id.in_(references),
        )
    )
    return (await session.execute(statement)).all()


async def superseded_references(session: AsyncSession, references: list[uuid.UUID]) -> Sequence[uuid.UUID]:
    """Which of ``references`` were superseded (failed or returned, then issued again)."""
    s = superseded_payments.c
    return (await session.execute(select(s.reference).where(s.reference.in_(references)))).scalars().all()


async def insert_run(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(reconciliation_runs).values(**values))


async def latest_run(session: AsyncSession) -> Any | None:
    """The last run's mismatch counts and when it ran (epoch seconds)."""
    r = reconciliation_runs.c
    statement = (
        select(
            r.missing_in_ledger,
            r.missing_in_bank,
            r.amount_mismatches,
            func.extract("epoch", r.created_at).label("at"),
        )
        .order_by(r.created_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).first()


async def recent_runs(session: AsyncSession, limit: int) -> Sequence[Any]:
    """The last ``limit`` runs, newest first: (report, created_at, created_by)."""
    r = reconciliation_runs.c
    statement = select(r.report, r.created_at, r.created_by).order_by(r.created_at.desc(), r.id).limit(limit)
    return (await session.execute(statement)).all()


async def disbursements_by_reference(session: AsyncSession, references: list[uuid.UUID]) -> dict[str, Any]:
    """reference → (id, policy_code, entity_type, entity_id, status, department) of the disbursements paid under
    them; ``department`` the disbursement's own or its policy's."""
    d = disbursements.c
    department = func.coalesce(
        d.department, select(policies.c.department).where(policies.c.code == d.policy_code).scalar_subquery()
    )
    statement = select(
        d.reservation_id,
        d.id,
        d.policy_code,
        d.entity_type,
        d.entity_id,
        d.status,
        department.label("department"),
    ).where(d.reservation_id.in_(references))
    return {str(row.reservation_id): row for row in (await session.execute(statement)).all()}
