from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from kunruyi_common.db import SessionDep

from kunruyi_matching.demand import service as demand_service
from kunruyi_matching.engagement import service
from kunruyi_matching.engagement.auth import BrokerOrOfficer
from kunruyi_matching.engagement.schemas import EngagementOut, StageChange

router = APIRouter(prefix="/api/v1/demands", tags=["撮合流程 engagement"])


@router.get("/{demand_id}/engagement", response_model=EngagementOut, summary="撮合流程与各阶段记录")
async def get_engagement(
    demand_id: uuid.UUID,
    session: SessionDep,
    principal: BrokerOrOfficer,
) -> EngagementOut:
    demand = await service.demand_or_404(session, demand_id)
    await demand_service.check_visible(session, principal, demand)
    return await service.engagement_view(session, demand)


@router.post(
    "/{demand_id}/stages", response_model=EngagementOut, summary="推进到下一阶段（顺序不对返回 409）"
)
async def change_stage(
    demand_id: uuid.UUID,
    body: StageChange,
    request: Request,
    session: SessionDep,
    principal: BrokerOrOfficer,
) -> EngagementOut:
    demand = await service.demand_or_404(session, demand_id)
    await service.change_stage(session, demand, body, principal, request.app.state.settings)
    return await service.engagement_view(session, demand)
