"""SQL for the funding agreements (SQLAlchemy Core on ``agreements/tables.py``). Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.agreements.tables import (
    funding_acceptances,
    funding_agreements,
    funding_assessments,
    funding_tranches,
)
from kunruyi_disbursement.tables import disbursements


async def insert_agreement(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new agreement, or None when the application already has one."""
    stmt = (
        pg_insert(funding_agreements)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["application_id"])
        .returning(funding_agreements)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def insert_tranches(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(pg_insert(funding_tranches).values(rows))


async def get_agreement(
    session: AsyncSession, agreement_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    stmt = select(funding_agreements).where(funding_agreements.c.id == agreement_id)
    if lock:
        stmt = stmt.with_for_update()
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def update_agreement(session: AsyncSession, agreement_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(funding_agreements)
        .where(funding_agreements.c.id == agreement_id)
        .values(**values, updated_at=func.now())
    )


async def tranches_of(session: AsyncSession, agreement_id: uuid.UUID) -> Sequence[RowMapping]:
    """The agreement's tranches in order, each with its disbursement's status (``disbursement_status``)."""
    stmt = (
        select(funding_tranches, disbursements.c.status.label("disbursement_status"))
        .outerjoin(disbursements, disbursements.c.id == funding_tranches.c.disbursement_id)
        .where(funding_tranches.c.agreement_id == agreement_id)
        .order_by(funding_tranches.c.seq)
    )
    return (await session.execute(stmt)).mappings().all()


async def update_tranche(session: AsyncSession, tranche_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(funding_tranches).where(funding_tranches.c.id == tranche_id).values(**values)
    )


async def insert_assessment(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new assessment, or None when the agreement already has one that year."""
    stmt = (
        pg_insert(funding_assessments)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_funding_assessments_agreement_year")
        .returning(funding_assessments)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def assessments_of(session: AsyncSession, agreement_id: uuid.UUID) -> Sequence[RowMapping]:
    stmt = (
        select(funding_assessments)
        .where(funding_assessments.c.agreement_id == agreement_id)
        .order_by(funding_assessments.c.year)
    )
    return (await session.execute(stmt)).mappings().all()


async def agreements_of_call(session: AsyncSession, call_id: uuid.UUID) -> Sequence[RowMapping]:
    stmt = (
        select(funding_agreements)
        .where(funding_agreements.c.call_id == call_id)
        .order_by(funding_agreements.c.created_at, funding_agreements.c.id)
    )
    return (await session.execute(stmt)).mappings().all()


async def insert_acceptance(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new acceptance, or None when the agreement was already accepted."""
    stmt = (
        pg_insert(funding_acceptances)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["agreement_id"])
        .returning(funding_acceptances)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def acceptance_of(session: AsyncSession, agreement_id: uuid.UUID) -> RowMapping | None:
    stmt = select(funding_acceptances).where(funding_acceptances.c.agreement_id == agreement_id)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row
