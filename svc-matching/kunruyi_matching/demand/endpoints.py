from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.openapi import problem_responses
from kunruyi_common.pii_text import TextCipherDep
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_matching.broker import service as broker_service
from kunruyi_matching.broker.models import Broker as BrokerRow
from kunruyi_matching.demand import service
from kunruyi_matching.demand.auth import Broker, BrokerOrOfficer, Officer, ReadPartnerOfficerOrBroker
from kunruyi_matching.demand.schemas import (
    DemandCreate,
    DemandCreated,
    DemandOut,
    DemandPage,
    DemandReview,
    DemandStatus,
    QueueItem,
    QueuePage,
)
from kunruyi_matching.engagement.service import demand_or_404
from kunruyi_matching.exceptions import NotABroker
from kunruyi_matching.taxonomy.params import known_chain

router = APIRouter(prefix="/api/v1/demands", tags=["技术需求 demands"])

STATUS_LABELS = {
    "pending_review": "待审核",
    "rejected": "未通过审核",
    "unassigned": "已入库，待分派经纪人",
    "assigned": "已分派技术经纪人",
    "closed": "已办结",
}
VISIBILITY_LABELS = {"public": "公开", "brokers": "仅技术经纪人可见", "private": "仅审核人员和承接经纪人可见"}


class CipherSealer:
    """The kit's sealer over the app's PII cipher (the sealed column is the associated data)."""

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    def encrypt(self, value: str, column: str) -> str:
        return self._cipher.encrypt(value, associated_data=column.encode())

    def decrypt(self, token: str, column: str) -> str:
        return self._cipher.decrypt(token, associated_data=column.encode())


class ReleaseBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "企业暂缓该需求，释放回待分配队列"}]}
    )
    note: str | None = Field(default=None, max_length=1000)


@router.post(
    "",
    status_code=201,
    response_model=DemandCreated,
    summary="提交技术需求（API、昆e服扫码、一企来办）；回应给出需求编号和只给一次的查询码",
)
async def submit_demand(
    body: DemandCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: TextCipherDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    service.check_submitter(principal, body)

    async def produce() -> tuple[int, DemandCreated]:
        demand, secret = await service.submit(session, body, principal, cipher=cipher)
        created = DemandCreated.model_validate(demand)
        created.access_secret = secret
        return 201, created

    # Keyed per caller (the shared kit): another caller's key never returns someone else's demand. Sealed: the
    # answer holds the query code, which the filer must get again on a retry.
    return await idempotent(
        session,
        idempotency_key,
        principal,
        service.SUBMIT_ENDPOINT,
        body,
        produce,
        sealer=CipherSealer(cipher),
    )


@router.get(
    "/lookup",
    response_model=DemandStatus,
    summary="凭需求编号和查询码查询进度（提交人；不需登录）",
    responses=problem_responses(404),
)
async def lookup_demand(
    session: SessionDep,
    number: Annotated[str, Query(min_length=1, max_length=24, pattern=r"^[0-9A-Za-z]+$")],
    secret: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")],
) -> DemandStatus:
    demand = await service.get_for_filer(session, number, secret)
    broker = await session.get(BrokerRow, demand.broker_id) if demand.broker_id else None
    return DemandStatus(
        demand_number=demand.demand_number or number,
        title=demand.title,
        demand_type=demand.demand_type,
        technical_field=demand.technical_field,
        visibility=demand.visibility,
        visibility_label=VISIBILITY_LABELS.get(demand.visibility, demand.visibility),
        status=demand.status,
        status_label=STATUS_LABELS.get(demand.status, demand.status),
        stage=demand.stage,
        submitter_verified=demand.submitter_verified,
        contact_name=demand.contact_name_masked,
        contact_phone=demand.contact_phone_masked,
        broker_name=broker.name if broker else None,
        broker_agency=broker.agency if broker else None,
        created_at=demand.created_at,
        approved_at=demand.approved_at,
        assigned_at=demand.assigned_at,
    )


@router.get("", response_model=DemandPage, summary="需求列表；status=unassigned 即待分配队列")
async def list_demands(
    session: SessionDep,
    principal: ReadPartnerOfficerOrBroker,
    status: Annotated[
        Literal["pending_review", "rejected", "unassigned", "assigned", "closed"] | None,
        Query(description="按状态筛选"),
    ] = None,
    industry_chain: Annotated[str | None, Query(max_length=64)] = None,
    enterprise_uscc: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{18}$")] = None,
    broker_id: uuid.UUID | None = None,
    mine: Annotated[bool, Query(description="true: the calling broker's own demands")] = False,
    demand_ids: Annotated[
        list[uuid.UUID] | None,
        Query(
            alias="id",
            max_length=200,
            description="只列这些需求（可重复，最多 200 个）：一次取回一批需求的状态",
        ),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> DemandPage:
    if industry_chain is not None:
        industry_chain = known_chain(industry_chain)
    viewer = await service.viewer(session, principal)
    if mine:
        if viewer.broker_id is None:
            raise NotABroker("当前账号未登记为技术经纪人，mine=true 不适用")
        broker_id = viewer.broker_id
    rows, next_cursor = await service.list_demands(
        session,
        viewer=viewer,
        status=status,
        industry_chain=industry_chain,
        enterprise_uscc=enterprise_uscc,
        broker_id=broker_id,
        demand_ids=demand_ids,
        cursor=cursor,
        limit=limit,
    )
    return DemandPage(items=[DemandOut.model_validate(d) for d in rows], next_cursor=next_cursor)


@router.get(
    "/queue",
    response_model=QueuePage,
    summary="待分配队列：每条需求为何尚无经纪人（无人覆盖、利益冲突、容量已满、待指派）",
)
async def waiting_queue(
    session: SessionDep,
    principal: BrokerOrOfficer,
    industry_chain: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> QueuePage:
    if industry_chain is not None:
        industry_chain = known_chain(industry_chain)
    rows, next_cursor = await service.list_demands(
        session,
        viewer=await service.viewer(session, principal),
        status="unassigned",
        industry_chain=industry_chain,
        enterprise_uscc=None,
        broker_id=None,
        cursor=cursor,
        limit=limit,
    )
    reasons = await broker_service.wait_reasons(session, rows)
    items = []
    for d in rows:
        why = reasons[d.id]
        items.append(
            QueueItem(
                demand=DemandOut.model_validate(d),
                waiting_since=d.approved_at,
                reason=why.code,
                detail=why.detail,
                covering_brokers=why.covering_brokers,
                eligible_brokers=why.eligible_brokers,
                eligible_with_room=why.eligible_with_room,
            )
        )
    return QueuePage(items=items, next_cursor=next_cursor)


@router.get("/{demand_id}", response_model=DemandOut, summary="需求详情")
async def get_demand(demand_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> DemandOut:
    demand = await service.get(session, demand_id)
    await service.check_visible(session, principal, demand)
    return DemandOut.model_validate(demand)


@router.post("/{demand_id}/review", response_model=DemandOut, summary="审核入库（通过后即尝试指派经纪人）")
async def review_demand(
    demand_id: uuid.UUID,
    body: DemandReview,
    session: SessionDep,
    principal: Officer,
    cipher: TextCipherDep,
) -> DemandOut:
    demand = await service.review(session, demand_id, body, principal, cipher=cipher)
    if demand.status == "unassigned":
        await broker_service.run_assignment(
            session, trigger="arrival", actor="system", demand_ids=[demand.id]
        )
    return DemandOut.model_validate(demand)


@router.post("/{demand_id}/claim", response_model=DemandOut, summary="经纪人认领")
async def claim_demand(
    demand_id: uuid.UUID,
    session: SessionDep,
    principal: Broker,
) -> DemandOut:
    demand = await demand_or_404(session, demand_id)
    await service.check_visible(session, principal, demand)
    return DemandOut.model_validate(await broker_service.claim(session, demand, principal))


@router.post("/{demand_id}/release", response_model=DemandOut, summary="释放需求，回到待分配队列")
async def release_demand(
    demand_id: uuid.UUID,
    session: SessionDep,
    principal: BrokerOrOfficer,
    body: ReleaseBody | None = None,
) -> DemandOut:
    demand = await demand_or_404(session, demand_id)
    note = body.note if body else None
    return DemandOut.model_validate(await broker_service.release(session, demand, principal, note))
