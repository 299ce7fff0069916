from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import UnknownIndustryChain

from kunruyi_matching.demand import service as demand_service
from kunruyi_matching.search.auth import ReadPartnerOfficerOrBroker
from kunruyi_matching.search.engine import MatchContext, Ranked, Weights, rank
from kunruyi_matching.search.exceptions import DemandNotApproved, UnknownTechnicalField
from kunruyi_matching.search.index import Filters
from kunruyi_matching.search.lifecycle import IndexDep
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.schemas import CandidateList, CandidateOut, SupplyOut
from kunruyi_matching.supply.service import get_many
from kunruyi_matching.taxonomy import (
    CHANNELS,
    DEMAND_TYPES,
    INDUSTRY_CHAINS,
    SUPPLY_KINDS,
    TECHNICAL_FIELDS,
    normalise_chain,
    normalise_field,
)
from kunruyi_matching.taxonomy.schemas import Taxonomy
from kunruyi_matching.text.segmenter import analyse_query

router = APIRouter(tags=["匹配 matching"])
Kind = Literal["expert", "institute", "result", "park", "company"]


def weights_of(settings: Settings) -> Weights:
    return Weights(
        text=settings.weight_text,
        coverage=settings.weight_coverage,
        chain=settings.weight_chain,
        field=settings.weight_field,
        region=settings.weight_region,
        maturity=settings.weight_maturity,
        deals=settings.weight_deals,
    )


async def _materialise(session: SessionDep, ranked: list[Ranked]) -> list[CandidateOut]:
    entities = await get_many(session, [r.id for r in ranked])
    out: list[CandidateOut] = []
    for r in ranked:
        entity = entities.get(r.id)
        if entity is None:  # deleted since the index saw it
            continue
        out.append(
            CandidateOut(
                supply=SupplyOut.model_validate(entity),
                score=r.score,
                rank=len(out) + 1,
                signals=r.signals,
                matched_terms=r.matched_terms,
                reasons=r.reasons,
            )
        )
    return out


@router.get(
    "/api/v1/demands/{demand_id}/candidates",
    response_model=CandidateList,
    summary="需求的候选专家、院所、成果（附推荐理由）",
)
async def demand_candidates(
    demand_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    index: IndexDep,
    principal: ReadPartnerOfficerOrBroker,
    kind: Kind = "expert",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CandidateList:
    demand = await demand_service.get(session, demand_id)
    await demand_service.check_visible(session, principal, demand)
    if demand.status in ("pending_review", "rejected"):
        raise DemandNotApproved("需求审核入库后才能匹配")
    settings: Settings = request.app.state.settings
    text = f"{demand.title} {demand.description}"
    ranked = rank(
        index,
        kind,
        text,
        context=MatchContext(demand.industry_chain, demand.technical_field),
        weights=weights_of(settings),
        limit=limit,
        pool=settings.candidate_pool,
    )
    return CandidateList(
        demand_id=demand.id,
        kind=kind,
        query_terms=analyse_query(text).strong,
        items=await _materialise(session, ranked),
    )


@router.get(
    "/api/v1/supply/search", response_model=CandidateList, summary="供给检索（专家、院所、成果、园区）"
)
async def search_supply(
    request: Request,
    session: SessionDep,
    index: IndexDep,
    _: CurrentPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    kind: Kind = "expert",
    industry_chain: str | None = None,
    technical_field: str | None = None,
    region: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CandidateList:
    chain = normalise_chain(industry_chain) if industry_chain else None
    if industry_chain and chain is None:
        raise UnknownIndustryChain(f"未知产业链：{industry_chain}", field="industry_chain")
    field = normalise_field(technical_field) if technical_field else None
    if technical_field and field is None:
        raise UnknownTechnicalField(f"未知技术领域：{technical_field}", field="technical_field")
    settings: Settings = request.app.state.settings
    ranked = rank(
        index,
        kind,
        q,
        context=MatchContext(chain, field),
        filters=Filters(chain, field, region),
        weights=weights_of(settings),
        limit=limit,
        pool=settings.candidate_pool,
    )
    return CandidateList(
        kind=kind, query_terms=analyse_query(q).strong, items=await _materialise(session, ranked)
    )


@router.get("/api/v1/taxonomy", summary="产业链（2+6+X）、技术领域、需求类型等维护目录")
async def taxonomy() -> Taxonomy:
    return Taxonomy.model_validate(
        {
            "industry_chains": [
                {"code": c.code, "name": c.name, "tier": c.tier, "aliases": list(c.aliases)}
                for c in INDUSTRY_CHAINS
            ],
            "technical_fields": [
                {
                    "code": f.code,
                    "name": f.name,
                    "category": f.category,
                    "industry_chain": f.chain,
                    "ipc": list(f.ipc),
                }
                for f in TECHNICAL_FIELDS
            ],
            "demand_types": list(DEMAND_TYPES),
            "channels": list(CHANNELS),
            "supply_kinds": list(SUPPLY_KINDS),
        }
    )
