"""Supply entities: upsert by natural key (events, imports, the API) and the conversion to index documents.

Every row is written through :func:`row_values`, which masks the personal numbers people typed into the free text
(``kunruyi_common.pii_text``: a profile's "请致电 138…") before the text is stored and segmented, so neither the
row, its answers nor the search index hold them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kunruyi_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from kunruyi_common.pii_text import mask_pii, mask_pii_json
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.search.engine import MatchContext, Ranked, Weights, rank
from kunruyi_matching.search.index import IndexDoc, SupplyIndex
from kunruyi_matching.supply import repository
from kunruyi_matching.supply.models import SupplyEntity
from kunruyi_matching.supply.repository import SupplyQuery
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.taxonomy import FIELDS_BY_CODE, SUPPLY_KINDS, field_for_ipc
from kunruyi_matching.text.segmenter import analyse_query, index_tokens


def searchable_text(record: SupplyIn) -> str:
    """The words a supplier is found by: name, summary, organisation and the field's Chinese name."""
    parts = [record.name, record.summary, record.organization or ""]
    if record.technical_field and record.technical_field in FIELDS_BY_CODE:
        parts.append(FIELDS_BY_CODE[record.technical_field].name)
    parts.extend(str(v) for v in record.attributes.get("keywords", []) if isinstance(v, str))
    return " ".join(p for p in parts if p)


def masked_record(record: SupplyIn) -> SupplyIn:
    """The record with personal numbers masked in its free text: name, summary, organisation, region, attributes."""
    return record.model_copy(
        update={
            "name": mask_pii(record.name),
            "summary": mask_pii(record.summary),
            "organization": mask_pii(record.organization) if record.organization is not None else None,
            "region": mask_pii(record.region) if record.region is not None else None,
            "attributes": mask_pii_json(record.attributes),
        }
    )


def row_values(record: SupplyIn, source: str) -> dict[str, Any]:
    """The row to store: free text masked first (:func:`masked_record`), then segmented once from the masked text."""
    record = masked_record(record)
    field = record.technical_field or field_for_ipc(record.ipc_class)
    if field != record.technical_field:
        record = record.model_copy(update={"technical_field": field})
    tokens = index_tokens(searchable_text(record))
    return {
        "kind": record.kind,
        "natural_key": record.natural_key,
        "name": record.name,
        "summary": record.summary,
        "organization": record.organization,
        "industry_chain": record.industry_chain,
        "technical_field": field,
        "ipc_class": record.ipc_class,
        "maturity": record.maturity,
        "region": record.region,
        "deals_count": record.deals_count,
        "attributes": record.attributes,
        "search_tokens": " ".join(tokens),
        "source": source,
    }


async def upsert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update by (kind, natural_key); an update bumps the version so the index replaces it."""
    if not rows:
        return 0
    stmt = insert(SupplyEntity).values([{"id": uuid.uuid4(), **r} for r in rows])
    excluded = stmt.excluded
    changing = [c for c in rows[0] if c not in ("kind", "natural_key", "deals_count", "source")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "natural_key"],
        set_={
            **{c: getattr(excluded, c) for c in changing},
            "source": excluded.source,
            "version": SupplyEntity.version + 1,
            "updated_at": func.now(),
        },
        # An unchanged re-import touches nothing, so the index sees no new version.
        where=tuple_(*(getattr(SupplyEntity, c) for c in changing)).is_distinct_from(
            tuple_(*(getattr(excluded, c) for c in changing))
        ),
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def upsert(session: AsyncSession, record: SupplyIn, source: str) -> SupplyEntity:
    await upsert_many(session, [row_values(record, source)])
    entity = (
        await session.execute(
            select(SupplyEntity)
            .where(SupplyEntity.kind == record.kind, SupplyEntity.natural_key == record.natural_key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return entity


async def resegment(session: AsyncSession, *, batch: int = 1000) -> tuple[int, int]:
    """Re-segment every supplier with the current dictionary and thesaurus; rows whose tokens change get a new
    version (the index replaces them within a second). Returns (rows read, rows changed)."""
    read = changed = 0
    last: uuid.UUID | None = None
    while True:
        stmt = select(SupplyEntity).order_by(SupplyEntity.id).limit(batch)
        if last is not None:
            stmt = stmt.where(SupplyEntity.id > last)
        rows = (await session.execute(stmt)).scalars().all()
        if not rows:
            return read, changed
        for entity in rows:
            record = SupplyIn.model_validate(
                {
                    "kind": entity.kind,
                    "natural_key": entity.natural_key,
                    "name": entity.name,
                    "summary": entity.summary,
                    "organization": entity.organization,
                    "technical_field": entity.technical_field,
                    "attributes": entity.attributes,
                }
            )
            tokens = " ".join(index_tokens(searchable_text(record)))
            if tokens != entity.search_tokens:
                await session.execute(
                    update(SupplyEntity)
                    .where(SupplyEntity.id == entity.id)
                    .values(search_tokens=tokens, version=SupplyEntity.version + 1, updated_at=func.now())
                )
                changed += 1
        read += len(rows)
        last = rows[-1].id


def to_index_doc(entity: SupplyEntity) -> IndexDoc:
    return IndexDoc.make(
        str(entity.id),
        entity.kind,
        entity.search_tokens.split(),
        industry_chain=entity.industry_chain,
        technical_field=entity.technical_field,
        region=entity.region,
        maturity=entity.maturity,
        deals_count=entity.deals_count,
        version=entity.version,
    )


INDEX_COLUMNS = (
    SupplyEntity.id,
    SupplyEntity.kind,
    SupplyEntity.search_tokens,
    SupplyEntity.industry_chain,
    SupplyEntity.technical_field,
    SupplyEntity.region,
    SupplyEntity.maturity,
    SupplyEntity.deals_count,
    SupplyEntity.version,
    SupplyEntity.updated_at,
)


async def stream_index_docs(session: AsyncSession, *, changed_since: Any = None) -> AsyncIterator[IndexDoc]:
    stmt = select(*INDEX_COLUMNS)
    if changed_since is not None:
        stmt = stmt.where(SupplyEntity.updated_at > changed_since)
    result = await session.stream(stmt.execution_options(yield_per=5000))
    async for row in result:
        yield IndexDoc.make(
            str(row.id),
            row.kind,
            row.search_tokens.split(),
            industry_chain=row.industry_chain,
            technical_field=row.technical_field,
            region=row.region,
            maturity=row.maturity,
            deals_count=row.deals_count,
            version=row.version,
        )


async def get_many(session: AsyncSession, ids: Sequence[str]) -> dict[str, SupplyEntity]:
    if not ids:
        return {}
    rows = (
        await session.execute(select(SupplyEntity).where(SupplyEntity.id.in_([uuid.UUID(i) for i in ids])))
    ).scalars()
    return {str(r.id): r for r in rows}


@dataclass
class SearchResult:
    items: list[tuple[SupplyEntity, Ranked | None]]
    next_cursor: str | None
    total: int
    query_terms: list[str]
    facets: dict[str, dict[str, int]]


def _offset(cursor: str | None) -> int:
    values = decode_cursor(cursor, 1)
    if values is None:
        return 0
    if not isinstance(values[0], int) or isinstance(values[0], bool) or values[0] < 0:
        raise invalid_cursor()
    return values[0]


async def search(
    session: AsyncSession,
    index: SupplyIndex,
    query: SupplyQuery,
    *,
    q: str | None,
    cursor: str | None,
    limit: int,
    weights: Weights,
    depth: int,
) -> SearchResult:
    """One page of supply and the facet counts of the whole result.

    Without ``q``: every row passing the filters, newest first, keyset cursor. With ``q``: the engine's best
    ``depth`` matches of every kind (its own ranking: segmentation, thesaurus, signals), merged by score; the
    filters and the facet counts are applied to that set in PostgreSQL, and the cursor is an offset into it.
    """
    if not q:
        rows, next_cursor = await repository.newest_page(session, query, cursor, limit)
        facets = await repository.facet_counts(session, query)
        kinds = query.kind or tuple(facets["kind"])
        total = sum(facets["kind"].get(k, 0) for k in kinds)
        return SearchResult([(r, None) for r in rows], next_cursor, total, [], facets)

    offset = _offset(cursor)
    chain = query.industry_chain[0] if len(query.industry_chain) == 1 else None
    field = query.technical_field[0] if len(query.technical_field) == 1 else None
    ranked: list[Ranked] = []
    for kind in SUPPLY_KINDS:
        ranked.extend(
            rank(index, kind, q, context=MatchContext(chain, field), weights=weights, limit=depth, pool=depth)
        )
    ranked.sort(key=lambda r: (-r.score, r.id))
    matched = replace(query, ids=[uuid.UUID(r.id) for r in ranked])
    passing = await repository.matching_ids(session, matched)
    ordered = [r for r in ranked if uuid.UUID(r.id) in passing]
    page = ordered[offset : offset + limit]
    entities = await repository.load(session, [uuid.UUID(r.id) for r in page])
    items: list[tuple[SupplyEntity, Ranked | None]] = [
        (entities[uuid.UUID(r.id)], r) for r in page if uuid.UUID(r.id) in entities
    ]
    next_cursor = encode_cursor(offset + limit) if len(ordered) > offset + limit else None
    facets = await repository.facet_counts(session, matched)
    return SearchResult(items, next_cursor, len(ordered), analyse_query(q).strong, facets)
