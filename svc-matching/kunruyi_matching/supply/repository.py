"""The supply search's SQL: filtered keyset pages, the rows among the engine's matches, and the facet counts —
all four facets in one scan (GROUPING SETS, each facet's count filtered by every other facet's condition)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from kunruyi_common.pagination import keyset_cursor, newest_first
from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.supply.models import SupplyEntity

FACETS = ("kind", "industry_chain", "technical_field", "region")
_COLUMNS = {
    "kind": SupplyEntity.kind,
    "industry_chain": SupplyEntity.industry_chain,
    "technical_field": SupplyEntity.technical_field,
    "region": SupplyEntity.region,
}


@dataclass(frozen=True)
class SupplyQuery:
    """The chosen values per facet (several values of one facet: any of them; several facets: all of them)."""

    kind: tuple[str, ...] = ()
    industry_chain: tuple[str, ...] = ()
    technical_field: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    # With a free-text query: only these rows (the engine's matches).
    ids: Sequence[uuid.UUID] | None = None

    def condition(self, facet: str) -> ColumnElement[bool] | None:
        values: tuple[str, ...] = getattr(self, facet)
        return _COLUMNS[facet].in_(values) if values else None

    def all_but(self, facet: str | None) -> ColumnElement[bool]:
        parts = [c for f in FACETS if f != facet and (c := self.condition(f)) is not None]
        return and_(true(), *parts)

    def base(self) -> ColumnElement[bool]:
        return SupplyEntity.id.in_(self.ids) if self.ids is not None else true()


async def newest_page(
    session: AsyncSession, query: SupplyQuery, cursor: str | None, limit: int
) -> tuple[list[SupplyEntity], str | None]:
    """Without a free-text query: newest first (then by id), keyset paging — rows added meanwhile never shift a
    page."""
    stmt = select(SupplyEntity).where(query.base(), query.all_but(None))
    rows = list(
        (await session.execute(newest_first(stmt, SupplyEntity.created_at, SupplyEntity.id, cursor, limit)))
        .scalars()
        .all()
    )
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def matching_ids(session: AsyncSession, query: SupplyQuery) -> set[uuid.UUID]:
    """Which of the engine's matches pass the filters."""
    if not query.ids:
        return set()
    stmt = select(SupplyEntity.id).where(query.base(), query.all_but(None))
    return set((await session.execute(stmt)).scalars().all())


async def load(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SupplyEntity]:
    if not ids:
        return {}
    rows = (await session.execute(select(SupplyEntity).where(SupplyEntity.id.in_(ids)))).scalars().all()
    return {r.id: r for r in rows}


async def facet_counts(session: AsyncSession, query: SupplyQuery) -> dict[str, dict[str, int]]:
    """Per facet, value → rows matching every other facet's filter (rows without a value are not a value)."""
    if query.ids is not None and not query.ids:
        return {f: {} for f in FACETS}
    counts = [func.count().filter(query.all_but(f)).label(f"n_{f}") for f in FACETS]
    groupings = [func.grouping(_COLUMNS[f]).label(f"g_{f}") for f in FACETS]
    stmt = (
        select(*_COLUMNS.values(), *groupings, *counts)
        # A row counts somewhere only when it passes at least all but one of the filters.
        .where(query.base(), or_(*(query.all_but(f) for f in FACETS)))
        .group_by(func.grouping_sets(*_COLUMNS.values()))
    )
    out: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for row in (await session.execute(stmt)).mappings():
        for f in FACETS:
            value, n = row[_COLUMNS[f].key], row[f"n_{f}"]
            if row[f"g_{f}"] == 0 and value is not None and n:
                out[f][value] = int(n)
    return out
