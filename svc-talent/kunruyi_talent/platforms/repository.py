"""Reading platform records with their host enterprise and reviews."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import Enterprise, Platform, PlatformReview


async def listed(
    session: AsyncSession,
    *,
    kind: str | None = None,
    level: str | None = None,
    enterprise_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[tuple[Platform, Enterprise]]:
    stmt = select(Platform, Enterprise).join(Enterprise, Enterprise.id == Platform.enterprise_id)
    if kind is not None:
        stmt = stmt.where(Platform.kind == kind)
    if level is not None:
        stmt = stmt.where(Platform.level == level)
    if enterprise_id is not None:
        stmt = stmt.where(Platform.enterprise_id == enterprise_id)
    stmt = stmt.order_by(Platform.recognized_on.desc(), Platform.certificate_number).limit(limit)
    return [(p, e) for p, e in (await session.execute(stmt)).all()]


async def one(
    session: AsyncSession, platform_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Platform, Enterprise] | None:
    stmt = (
        select(Platform, Enterprise)
        .join(Enterprise, Enterprise.id == Platform.enterprise_id)
        .where(Platform.id == platform_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Platform)
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def reviews_of(
    session: AsyncSession, platform_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[PlatformReview]]:
    out: dict[uuid.UUID, list[PlatformReview]] = defaultdict(list)
    if not platform_ids:
        return out
    rows = await session.scalars(
        select(PlatformReview)
        .where(PlatformReview.platform_id.in_(platform_ids))
        .order_by(PlatformReview.year)
    )
    for r in rows:
        out[r.platform_id].append(r)
    return out


async def yearly_counts(session: AsyncSession) -> list[tuple[int, str, str, int]]:
    year = extract("year", Platform.recognized_on)
    stmt = (
        select(year.label("year"), Platform.kind, Platform.level, func.count())
        .group_by(year, Platform.kind, Platform.level)
        .order_by(year, Platform.kind, Platform.level)
    )
    return [(int(y), str(k), str(lv), int(n)) for y, k, lv, n in (await session.execute(stmt)).all()]
