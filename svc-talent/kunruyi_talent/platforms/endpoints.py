from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.db import SessionDep

from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.platforms import repository, service
from kunruyi_talent.platforms.auth import Officer, ReadingStaffOrPartner
from kunruyi_talent.platforms.schemas import (
    KindCode,
    Level,
    PlatformCreate,
    PlatformOut,
    PlatformPage,
    ReviewIn,
    YearlyCounts,
)

router = APIRouter(prefix="/api/v1", tags=["科创平台 platforms"])


@router.post(
    "/platforms",
    status_code=201,
    response_model=PlatformOut,
    summary="登记科创平台的认定（本部门管理的类型；企业档案随之更新）",
)
async def record_platform(body: PlatformCreate, session: SessionDep, principal: Officer) -> PlatformOut:
    return await service.record(session, body, principal)


@router.get(
    "/platforms", response_model=PlatformPage, summary="科创平台列表（按类型、级别筛选；新认定的在前）"
)
async def list_platforms(
    session: SessionDep,
    principal: ReadingStaffOrPartner,
    kind: Annotated[KindCode | None, Query(description="平台类型编码")] = None,
    level: Annotated[Level | None, Query(description="级别：国家、省、苏州、昆山")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> PlatformPage:
    rows = await repository.listed(
        session,
        kind=kind,
        level=level,
        limit=limit,
    )
    return PlatformPage(items=await service.views(session, rows))


@router.get(
    "/platforms/yearly-counts",
    response_model=YearlyCounts,
    summary="新认定科创平台数：按年度、类型与级别（指标体系）",
)
async def yearly_counts(session: SessionDep, principal: ReadingStaffOrPartner) -> YearlyCounts:
    return YearlyCounts(items=await service.yearly_counts(session))


@router.get("/platforms/{platform_id}", response_model=PlatformOut, summary="科创平台详情（含历年考核）")
async def get_platform(
    platform_id: uuid.UUID, session: SessionDep, principal: ReadingStaffOrPartner
) -> PlatformOut:
    platform, enterprise = await service.get(session, platform_id)
    return (await service.views(session, [(platform, enterprise)]))[0]


@router.post(
    "/platforms/{platform_id}/reviews",
    status_code=201,
    response_model=PlatformOut,
    summary="登记平台年度考核结果（每年一次；不合格即不再视为有效平台）",
)
async def review_platform(
    platform_id: uuid.UUID, body: ReviewIn, session: SessionDep, principal: Officer
) -> PlatformOut:
    return await service.review(session, platform_id, body, principal)


@router.get(
    "/enterprises/{uscc}/platforms",
    response_model=PlatformPage,
    summary="企业的科创平台（一企一档）",
)
async def enterprise_platforms(
    uscc: str, session: SessionDep, principal: ReadingStaffOrPartner
) -> PlatformPage:
    enterprise = await enterprise_service.get_by_uscc(session, uscc)
    rows = await repository.listed(session, enterprise_id=enterprise.id, limit=500)
    return PlatformPage(items=await service.views(session, rows))
