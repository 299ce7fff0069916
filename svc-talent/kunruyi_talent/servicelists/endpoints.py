from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.db import SessionDep

from kunruyi_talent.deps import SettingsDep
from kunruyi_talent.servicelists import service
from kunruyi_talent.servicelists.auth import Officer, OfficerReviewerOrApprover
from kunruyi_talent.servicelists.schemas import (
    CountermeasureCreate,
    CountermeasureOut,
    CountermeasureStatus,
    CountermeasureUpdate,
    ListKind,
    NeedGrouping,
    ServiceListOut,
)

router = APIRouter(prefix="/api/v1/service-lists", tags=["三张清单 service lists"])


@router.get("", response_model=ServiceListOut, summary="服务清单、需求清单（按主题/产业链/区镇）、对策清单")
async def service_lists(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    kind: Annotated[ListKind, Query(description="service 服务清单；need 需求清单；countermeasure 对策清单")],
    group_by: Annotated[NeedGrouping, Query(description="需求清单的分组")] = "theme",
    status: Annotated[CountermeasureStatus | None, Query(description="对策状态")] = None,
) -> ServiceListOut:
    if kind == "service":
        return ServiceListOut(kind=kind, services=await service.services(session))
    if kind == "need":
        return ServiceListOut(kind=kind, group_by=group_by, needs=await service.needs(session, group_by))
    return ServiceListOut(kind=kind, countermeasures=await service.countermeasures(session, status))


@router.post(
    "/countermeasures",
    status_code=201,
    response_model=CountermeasureOut,
    summary="新增对策：主题、责任部门、完成时限、回应的工单",
)
async def create_countermeasure(
    body: CountermeasureCreate, session: SessionDep, settings: SettingsDep, principal: Officer
) -> CountermeasureOut:
    return await service.view(session, await service.create(session, settings, body, principal))


@router.patch(
    "/countermeasures/{countermeasure_id}",
    response_model=CountermeasureOut,
    summary="更新对策：状态、修补问题的政策版本、追加回应的工单",
)
async def update_countermeasure(
    countermeasure_id: uuid.UUID, body: CountermeasureUpdate, session: SessionDep, principal: Officer
) -> CountermeasureOut:
    return await service.view(session, await service.update(session, countermeasure_id, body))
