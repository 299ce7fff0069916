"""Queries of the financing tables (the service decides; this only reads and locks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from kunruyi_common.pagination import newest_first
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.financing.models import (
    FinancialProduct,
    FinancingDemand,
    FinancingPipeline,
    FinancingStageRecord,
)


async def demand(
    session: AsyncSession, demand_id: uuid.UUID, *, lock: bool = False
) -> FinancingDemand | None:
    stmt = select(FinancingDemand).where(FinancingDemand.id == demand_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()


async def demands(
    session: AsyncSession, enterprise_uscc: str | None, cursor: str | None, limit: int
) -> Sequence[FinancingDemand]:
    stmt = select(FinancingDemand)
    if enterprise_uscc:
        stmt = stmt.where(FinancingDemand.enterprise_uscc == enterprise_uscc)
    query = newest_first(stmt, FinancingDemand.created_at, FinancingDemand.id, cursor, limit)
    rows: Sequence[FinancingDemand] = (await session.execute(query)).scalars().all()
    return rows


async def product(session: AsyncSession, product_id: uuid.UUID) -> FinancialProduct | None:
    return await session.get(FinancialProduct, product_id)


async def products(
    session: AsyncSession, product_kind: str | None = None, active_only: bool = True
) -> Sequence[FinancialProduct]:
    stmt = select(FinancialProduct).order_by(FinancialProduct.institution, FinancialProduct.name)
    if product_kind:
        stmt = stmt.where(FinancialProduct.product_kind == product_kind)
    if active_only:
        stmt = stmt.where(FinancialProduct.active.is_(True))
    return (await session.execute(stmt)).scalars().all()


async def pipeline(
    session: AsyncSession, pipeline_id: uuid.UUID, *, lock: bool = False
) -> FinancingPipeline | None:
    stmt = select(FinancingPipeline).where(FinancingPipeline.id == pipeline_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()


async def pipeline_of(
    session: AsyncSession, demand_id: uuid.UUID, product_id: uuid.UUID
) -> FinancingPipeline | None:
    stmt = select(FinancingPipeline).where(
        FinancingPipeline.demand_id == demand_id, FinancingPipeline.product_id == product_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def pipelines_of(session: AsyncSession, demand_id: uuid.UUID) -> Sequence[FinancingPipeline]:
    stmt = (
        select(FinancingPipeline)
        .where(FinancingPipeline.demand_id == demand_id)
        .order_by(FinancingPipeline.created_at, FinancingPipeline.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def loan_number_used(
    session: AsyncSession, institution: str, loan_number: str, other_than: uuid.UUID
) -> bool:
    stmt = select(FinancingPipeline.id).where(
        FinancingPipeline.institution == institution,
        FinancingPipeline.loan_number == loan_number,
        FinancingPipeline.id != other_than,
    )
    return (await session.execute(stmt)).first() is not None


async def history(session: AsyncSession, pipeline_id: uuid.UUID) -> Sequence[FinancingStageRecord]:
    stmt = (
        select(FinancingStageRecord)
        .where(FinancingStageRecord.pipeline_id == pipeline_id)
        .order_by(FinancingStageRecord.at, FinancingStageRecord.id)
    )
    return (await session.execute(stmt)).scalars().all()
