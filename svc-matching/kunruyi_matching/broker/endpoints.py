from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep

from kunruyi_matching.broker import service
from kunruyi_matching.broker.auth import BrokerOrOfficer, Officer
from kunruyi_matching.broker.exceptions import NotYourRecord
from kunruyi_matching.broker.schemas import (
    AssignmentOut,
    AssignmentRunOut,
    BrokerCreate,
    BrokerDetail,
    BrokerOut,
    BrokerPage,
    BrokerUpdate,
    ConflictCreate,
    ConflictOut,
    KpiReport,
)
from kunruyi_matching.taxonomy.params import known_chain

router = APIRouter(tags=["技术经纪人 brokers"])


@router.post("/api/v1/brokers", status_code=201, response_model=BrokerOut, summary="登记技术经纪人")
async def create_broker(body: BrokerCreate, session: SessionDep, _: Officer) -> BrokerOut:
    return BrokerOut.model_validate(await service.create(session, body))


@router.get("/api/v1/brokers", response_model=BrokerPage, summary="经纪人名录（可按产业链筛选）")
async def list_brokers(
    session: SessionDep,
    _: CurrentPrincipal,
    industry_chain: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=120, pattern=r"^[^\x00]+$")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> BrokerPage:
    if industry_chain is not None:
        industry_chain = known_chain(industry_chain)
    rows, next_cursor = await service.list_brokers(
        session, industry_chain=industry_chain, agency=agency, cursor=cursor, limit=limit
    )
    items = []
    for broker, used in rows:
        out = BrokerOut.model_validate(broker)
        out.assigned_this_month = used
        items.append(out)
    return BrokerPage(items=items, next_cursor=next_cursor)


@router.get(
    "/api/v1/brokers/kpis",
    response_model=KpiReport,
    summary="经纪人绩效：服务需求数、成交数、金额、成交天数中位数",
)
async def broker_kpis(
    session: SessionDep,
    _: BrokerOrOfficer,
    group_by: Literal["broker", "agency"] = "broker",
    period: str | None = None,
) -> KpiReport:
    return KpiReport(
        group_by=group_by, period=period, items=await service.kpis(session, group_by=group_by, period=period)
    )


async def _detail(session: SessionDep, broker_id: uuid.UUID) -> BrokerDetail:
    broker = await service.get(session, broker_id)
    out = BrokerDetail.model_validate(broker)
    out.assigned_this_month = (await service.usage_this_month(session, [broker.id])).get(broker.id, 0)
    out.conflicts = [ConflictOut.model_validate(c) for c in await service.conflicts_of(session, broker.id)]
    return out


@router.get(
    "/api/v1/brokers/{broker_id}",
    response_model=BrokerDetail,
    summary="经纪人详情（本月承接量、已申报的利益冲突）",
)
async def get_broker(
    broker_id: uuid.UUID,
    session: SessionDep,
    _: BrokerOrOfficer,
) -> BrokerDetail:
    return await _detail(session, broker_id)


@router.patch(
    "/api/v1/brokers/{broker_id}",
    response_model=BrokerDetail,
    summary="维护经纪人登记信息（容量、专长、资质、在岗）；腾出容量时立即为待分配队列指派",
)
async def update_broker(
    broker_id: uuid.UUID,
    body: BrokerUpdate,
    session: SessionDep,
    principal: Officer,
) -> BrokerDetail:
    _, opens = await service.update(session, broker_id, body)
    if opens:
        # New room (capacity, specialties, back in service): the waiting queue is tried at once.
        await service.run_assignment(session, trigger="batch", actor=principal.subject)
    return await _detail(session, broker_id)


@router.post("/api/v1/brokers/{broker_id}/conflicts", status_code=204, summary="申报利益冲突（经纪人↔企业）")
async def add_conflict(
    broker_id: uuid.UUID,
    body: ConflictCreate,
    session: SessionDep,
    principal: BrokerOrOfficer,
) -> None:
    if not principal.has_role("officer"):
        broker = await service.by_subject(session, principal.subject)
        if broker.id != broker_id:
            raise NotYourRecord("只能为本人申报利益冲突")
    await service.add_conflict(session, broker_id, body, principal.subject)


@router.post(
    "/api/v1/assignments/runs",
    response_model=AssignmentRunOut,
    summary="批量指派待分配需求（容量与利益冲突约束下亲和度最大）",
)
async def run_assignment(session: SessionDep, principal: Officer) -> AssignmentRunOut:
    run, assigned, waiting = await service.run_assignment(session, trigger="batch", actor=principal.subject)
    return AssignmentRunOut(
        run_id=run.id,
        considered=run.considered,
        assigned=[AssignmentOut(demand_id=d.id, broker_id=b.id, affinity=s) for d, b, s in assigned],
        waiting=[d.id for d in waiting],
        total_affinity=run.total_affinity_milli / 1000,
    )
