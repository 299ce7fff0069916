from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import UnknownIndustryChain
from pydantic import ValidationError

from kunruyi_matching.search.endpoints import weights_of
from kunruyi_matching.search.exceptions import UnknownTechnicalField
from kunruyi_matching.search.lifecycle import IndexDep
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply import service
from kunruyi_matching.supply.auth import ReadPartnerOfficerOrBroker, WritePartnerOfficerOrBroker
from kunruyi_matching.supply.exceptions import SupplyNotFound
from kunruyi_matching.supply.models import SupplyEntity
from kunruyi_matching.supply.repository import SupplyQuery
from kunruyi_matching.supply.schemas import (
    CompanyProfile,
    ExpertProfile,
    FacetCount,
    SupplyDetail,
    SupplyFacets,
    SupplyHit,
    SupplyIn,
    SupplyKind,
    SupplyOut,
    SupplyPage,
)
from kunruyi_matching.taxonomy import (
    CHAINS_BY_CODE,
    FIELDS_BY_CODE,
    SUPPLY_KIND_NAMES,
    normalise_chain,
    normalise_field,
)

router = APIRouter(prefix="/api/v1/supply", tags=["供给 supply"])


@router.post(
    "", status_code=201, response_model=SupplyOut, summary="登记或更新一条供给（按 kind + natural_key 去重）"
)
async def upsert_supply(
    body: SupplyIn,
    session: SessionDep,
    _: WritePartnerOfficerOrBroker,
) -> SupplyOut:
    return SupplyOut.model_validate(await service.upsert(session, body, source="api"))


def _chains(values: list[str]) -> tuple[str, ...]:
    codes = []
    for value in values:
        code = normalise_chain(value)
        if code is None:
            raise UnknownIndustryChain(f"未知产业链：{value[:64]}", field="query.industry_chain")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _fields(values: list[str]) -> tuple[str, ...]:
    codes = []
    for value in values:
        code = normalise_field(value)
        if code is None:
            raise UnknownTechnicalField(f"未知技术领域：{value[:64]}", field="query.technical_field")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _facet(counts: dict[str, int], names: dict[str, str]) -> list[FacetCount]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FacetCount(value=v, name=names.get(v, v), count=n) for v, n in ordered]


@router.get(
    "",
    response_model=SupplyPage,
    summary="供给检索：专家、院所、成果、园区、企业；分面筛选与计数、游标分页",
    description=(
        "Without `q`: every supplier passing the filters, newest first. With `q`: the matching engine's ranking "
        "(its best `KRY_MATCHING_SUPPLY_SEARCH_DEPTH` matches per kind), filtered. Repeat a facet parameter for "
        "any of several values. `facets` counts each facet's values under every other facet's filter."
    ),
)
async def search_supply(
    request: Request,
    session: SessionDep,
    index: IndexDep,
    _: ReadPartnerOfficerOrBroker,
    q: Annotated[str | None, Query(max_length=500, description="自由文本；用匹配引擎排序")] = None,
    kind: Annotated[list[SupplyKind] | None, Query(description="供给类型，可重复")] = None,
    industry_chain: Annotated[list[str] | None, Query(description="产业链代码或中文名，可重复")] = None,
    technical_field: Annotated[list[str] | None, Query(description="技术领域代码或中文名，可重复")] = None,
    region: Annotated[list[Annotated[str, Query(min_length=1, max_length=32)]] | None, Query()] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SupplyPage:
    query = SupplyQuery(
        kind=tuple(dict.fromkeys(kind or ())),
        industry_chain=_chains(industry_chain or []),
        technical_field=_fields(technical_field or []),
        region=tuple(dict.fromkeys(r.strip() for r in region or () if r.strip())),
    )
    settings: Settings = request.app.state.settings
    result = await service.search(
        session,
        index,
        query,
        q=(q or "").strip() or None,
        cursor=cursor,
        limit=limit,
        weights=weights_of(settings),
        depth=settings.supply_search_depth,
    )
    chain_names = {c.code: c.name for c in CHAINS_BY_CODE.values()}
    field_names = {f.code: f.name for f in FIELDS_BY_CODE.values()}
    return SupplyPage(
        items=[
            SupplyHit(
                supply=SupplyOut.model_validate(entity),
                score=ranked.score if ranked else None,
                matched_terms=ranked.matched_terms if ranked else [],
                reasons=ranked.reasons if ranked else [],
            )
            for entity, ranked in result.items
        ],
        next_cursor=result.next_cursor,
        total=result.total,
        query_terms=result.query_terms,
        facets=SupplyFacets(
            kind=_facet(result.facets["kind"], SUPPLY_KIND_NAMES),
            industry_chain=_facet(result.facets["industry_chain"], chain_names),
            technical_field=_facet(result.facets["technical_field"], field_names),
            region=_facet(result.facets["region"], {}),
        ),
    )


def _detail(entity: SupplyEntity) -> SupplyDetail:
    attributes: dict[str, Any] = dict(entity.attributes or {})
    detail = SupplyDetail.model_validate(entity)
    try:
        if entity.kind == "expert":
            detail.expert = ExpertProfile.model_validate(attributes)
        elif entity.kind == "company":
            detail.company = CompanyProfile.model_validate({**attributes, "uscc": entity.natural_key})
    except ValidationError:
        pass  # an imported record whose attributes do not fit the typed part: they are still in `attributes`
    return detail


@router.get("/{supply_id}", response_model=SupplyDetail, summary="供给详情（全部属性）")
async def get_supply(supply_id: uuid.UUID, session: SessionDep, _: CurrentPrincipal) -> SupplyDetail:
    entity = await session.get(SupplyEntity, supply_id, populate_existing=True)
    if entity is None:
        raise SupplyNotFound(f"供给 {supply_id} 不存在")
    return _detail(entity)
