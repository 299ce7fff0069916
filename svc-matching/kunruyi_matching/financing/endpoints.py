from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.fields import Uscc
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.pagination import keyset_cursor
from kunruyi_common.pii_text import TextCipherDep

from kunruyi_matching.financing import repository, service
from kunruyi_matching.financing.auth import FinanceCaller, FinancePartnerOfficerOrBroker
from kunruyi_matching.financing.schemas import (
    FinancingDemandCreate,
    FinancingDemandOut,
    FinancingDemandPage,
    MatchPage,
    PipelineCreate,
    PipelineOut,
    PipelinePage,
    ProductCreate,
    ProductKind,
    ProductOut,
    ProductPage,
    StageCreate,
    Vocabularies,
)

router = APIRouter(prefix="/api/v1/financing", tags=["科技金融 financing"])


@router.post(
    "/demands",
    status_code=201,
    response_model=FinancingDemandOut,
    summary="登记融资需求（Idempotency-Key：同一键重试只登记一次）",
)
async def file_demand(
    body: FinancingDemandCreate,
    session: SessionDep,
    cipher: TextCipherDep,
    principal: FinanceCaller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> tuple[int, FinancingDemandOut]:
        return 201, service.demand_view(await service.file_demand(session, cipher, body, principal))

    # Keyed per caller (the shared kit): a double tap on 昆e服's form, or a retried post, files one demand. The
    # answer holds the purpose only masked, so it is kept as it is.
    return await idempotent(session, idempotency_key, principal, service.FILE_DEMAND_ENDPOINT, body, produce)


@router.get("/demands", response_model=FinancingDemandPage, summary="融资需求列表（新的在前）")
async def list_demands(
    session: SessionDep,
    principal: FinanceCaller,
    enterprise_uscc: Uscc | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FinancingDemandPage:
    own = principal.signed_in_enterprise
    if own is not None:
        service.ensure_files_for(principal, enterprise_uscc or own)
        enterprise_uscc = own
    rows = list(await repository.demands(session, enterprise_uscc, cursor, limit))
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return FinancingDemandPage(items=[service.demand_view(d) for d in rows[:limit]], next_cursor=next_cursor)


@router.get("/demands/{demand_id}", response_model=FinancingDemandOut, summary="融资需求详情")
async def get_demand(
    demand_id: uuid.UUID, session: SessionDep, principal: FinanceCaller
) -> FinancingDemandOut:
    demand = await service.demand_or_404(session, demand_id)
    service.ensure_reads_demand(principal, demand)
    return service.demand_view(demand)


@router.get(
    "/demands/{demand_id}/matches",
    response_model=MatchPage,
    summary="匹配的金融产品及理由（额度、阶段、抵质押物、产业链）",
)
async def demand_matches(
    demand_id: uuid.UUID,
    session: SessionDep,
    principal: FinanceCaller,
    all: Annotated[bool, Query(description="同时列出未满足条件的产品及原因")] = False,
) -> MatchPage:
    demand = await service.demand_or_404(session, demand_id)
    service.ensure_reads_demand(principal, demand)
    return await service.matches(session, demand, all)


@router.get("/demands/{demand_id}/pipelines", response_model=PipelinePage, summary="该需求的对接流程")
async def demand_pipelines(
    demand_id: uuid.UUID, session: SessionDep, principal: FinanceCaller
) -> PipelinePage:
    demand = await service.demand_or_404(session, demand_id)
    service.ensure_reads_demand(principal, demand)
    pipelines = await service.pipelines_read_by(session, principal, demand)
    return PipelinePage(items=[await service.pipeline_view(session, p) for p in pipelines])


@router.post(
    "/demands/{demand_id}/pipelines",
    status_code=201,
    response_model=PipelineOut,
    summary="与一个金融产品开始对接（阶段：对接）",
)
async def start_pipeline(
    demand_id: uuid.UUID,
    body: PipelineCreate,
    session: SessionDep,
    cipher: TextCipherDep,
    principal: FinancePartnerOfficerOrBroker,
) -> PipelineOut:
    demand = await service.demand_or_404(session, demand_id)
    pipeline = await service.start_pipeline(session, cipher, demand, body, principal)
    return await service.pipeline_view(session, pipeline)


@router.post("/products", status_code=201, response_model=ProductOut, summary="登记金融产品（供给）")
async def register_product(
    body: ProductCreate, session: SessionDep, principal: FinancePartnerOfficerOrBroker
) -> ProductOut:
    return service.product_view(await service.register_product(session, body, principal))


@router.get("/products", response_model=ProductPage, summary="在售金融产品")
async def list_products(
    session: SessionDep, _: FinanceCaller, product_kind: ProductKind | None = None
) -> ProductPage:
    return ProductPage(
        items=[service.product_view(p) for p in await repository.products(session, product_kind)]
    )


@router.get(
    "/vocabularies",
    response_model=Vocabularies,
    summary="企业阶段、抵质押物、产品类型、机构类型的代码与中文名（表单选项）",
)
async def vocabularies(_: FinanceCaller) -> Vocabularies:
    return service.vocabularies()


@router.get("/pipelines/{pipeline_id}", response_model=PipelineOut, summary="对接流程详情与各阶段记录")
async def get_pipeline(pipeline_id: uuid.UUID, session: SessionDep, principal: FinanceCaller) -> PipelineOut:
    pipeline = await service.pipeline_or_404(session, pipeline_id)
    await service.ensure_reads_pipeline(session, principal, pipeline)
    return await service.pipeline_view(session, pipeline)


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response_model=PipelineOut,
    summary="推进到下一阶段：尽调 → 授信/投资 → 放款/交割（顺序不对 409；放款编号重复 409；金额超过需求 422）",
)
async def change_stage(
    pipeline_id: uuid.UUID,
    body: StageCreate,
    session: SessionDep,
    cipher: TextCipherDep,
    principal: FinancePartnerOfficerOrBroker,
) -> PipelineOut:
    pipeline = await service.pipeline_or_404(session, pipeline_id, lock=True)
    await service.change_stage(session, cipher, pipeline, body, principal)
    return await service.pipeline_view(session, pipeline)
