from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from kunruyi_common.db import SessionDep

from kunruyi_talent.deps import SettingsDep
from kunruyi_talent.servicelists import export, service
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


CampaignQuery = Annotated[
    str | None, Query(max_length=40, description="专项服务活动编号：其工单，及其目标或走访过的企业")
]
DistrictQuery = Annotated[str | None, Query(max_length=20, description="区镇（企业所在）")]


@router.get("", response_model=ServiceListOut, summary="服务清单、需求清单（按主题/产业链/区镇）、对策清单")
async def service_lists(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    kind: Annotated[ListKind, Query(description="service 服务清单；need 需求清单；countermeasure 对策清单")],
    group_by: Annotated[NeedGrouping, Query(description="需求清单的分组")] = "theme",
    status: Annotated[CountermeasureStatus | None, Query(description="对策状态")] = None,
    campaign: CampaignQuery = None,
    district: DistrictQuery = None,
) -> ServiceListOut:
    where = await service.scope(session, campaign, district)
    out = ServiceListOut(kind=kind, campaign=where.campaign, district=where.district)
    if kind == "service":
        out.services = await service.services(session, where)
    elif kind == "need":
        out.group_by = group_by
        out.needs = await service.needs(session, group_by, where)
    else:
        out.countermeasures = await service.countermeasures(session, status, where)
        out.policies = await service.policy_matches(session, where)
    return out


@router.get(
    "/export.xlsx",
    summary="三张清单导出（Excel：服务清单、需求清单、对策清单），可按专项服务活动或区镇",
    response_model=None,
    response_class=Response,
    responses={200: {"content": {export.XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def export_lists(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    campaign: CampaignQuery = None,
    district: DistrictQuery = None,
) -> Response:
    where = await service.scope(session, campaign, district)
    caption = "范围：" + (
        "，".join(
            part
            for part in (f"专项服务活动 {where.campaign}" if where.campaign else "", where.district or "")
            if part
        )
        or "全部"
    )
    body = export.to_xlsx(
        caption,
        await service.services(session, where),
        {g: await service.needs(session, g, where) for g in ("theme", "chain", "district")},
        await service.countermeasures(session, None, where),
        await service.policy_matches(session, where),
    )
    name = (
        "service-lists"
        + (f"-{where.campaign}" if where.campaign else "")
        + ("-district" if where.district else "")
    )
    return Response(
        body,
        media_type=export.XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


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
