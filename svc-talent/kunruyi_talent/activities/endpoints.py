from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.auth import OptionalPrincipal
from kunruyi_common.db import SessionDep

from kunruyi_talent.activities import leads, repository, service
from kunruyi_talent.activities.auth import HostStaff, Officer
from kunruyi_talent.activities.schemas import (
    ActivityCreate,
    ActivityKind,
    ActivityOut,
    ActivityPage,
    ActivityStats,
    CheckInCode,
    CheckInCreate,
    KindStatsPage,
    LeadConversion,
    LeadCreate,
    LeadList,
    LeadOut,
    OutcomesIn,
    RegistrationCreate,
    RegistrationList,
    RegistrationOut,
    SelfCheckInCreate,
    SelfCheckInOut,
    SignUpCreate,
)
from kunruyi_talent.deps import PersonalDataDep, SettingsDep

router = APIRouter(prefix="/api/v1/activities", tags=["活动 activities"])


@router.post(
    "",
    status_code=201,
    response_model=ActivityOut,
    summary="发布活动（路演、沙龙、宣讲、对话人才、科创咖啡厅、聚链融创、创业周…）",
)
async def publish_activity(body: ActivityCreate, session: SessionDep, principal: Officer) -> ActivityOut:
    activity = await service.publish(session, body, principal)
    return service.view(activity, 0)


@router.get("", response_model=ActivityPage, summary="活动列表（公开；新的在前）")
async def list_activities(
    session: SessionDep,
    principal: OptionalPrincipal,
    kind: ActivityKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ActivityPage:
    rows = list(await repository.recent(session, kind, limit))
    return ActivityPage(items=await service.views(session, rows))


@router.get(
    "/stats", response_model=KindStatsPage, summary="按活动类型统计：报名、签到、到会率、合作项目与商洽"
)
async def stats_by_kind(session: SessionDep, principal: OptionalPrincipal) -> KindStatsPage:
    return KindStatsPage(items=await service.stats_by_kind(session))


@router.get("/{activity_id}", response_model=ActivityOut, summary="活动详情（公开）")
async def get_activity(
    activity_id: uuid.UUID, session: SessionDep, principal: OptionalPrincipal
) -> ActivityOut:
    activity = await service.get(session, activity_id)
    return (await service.views(session, [activity]))[0]


@router.get(
    "/{activity_id}/stats",
    response_model=ActivityStats,
    summary="活动统计：报名数、签到数、到会率、合作项目数、商洽数",
)
async def activity_stats(
    activity_id: uuid.UUID, session: SessionDep, principal: OptionalPrincipal
) -> ActivityStats:
    return await service.stats(session, await service.get(session, activity_id))


@router.post(
    "/{activity_id}/registrations",
    status_code=201,
    response_model=RegistrationOut,
    summary="报名：一家企业（信用代码）或一名人才，每个只能报名一次；满员 409 activity_full，开始后截止",
)
async def register(
    activity_id: uuid.UUID, body: RegistrationCreate, session: SessionDep, principal: Officer
) -> RegistrationOut:
    return service.registration_out(await service.register(session, activity_id, body, principal))


@router.post(
    "/{activity_id}/sign-ups",
    status_code=201,
    response_model=RegistrationOut,
    summary="昆e服报名：已登录的企业或人才报名本身；其他人填姓名和手机号（同一姓名和手机号只能报名一次）",
)
async def sign_up(
    activity_id: uuid.UUID,
    body: SignUpCreate,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OptionalPrincipal,
) -> RegistrationOut:
    return service.registration_out(await service.sign_up(session, pii, activity_id, body, principal))


@router.get(
    "/{activity_id}/registrations",
    response_model=RegistrationList,
    summary="报名名单（主办部门工作人员）：名称、手机号掩码、是否签到，及到会率与成果",
)
async def list_registrations(
    activity_id: uuid.UUID, session: SessionDep, principal: HostStaff
) -> RegistrationList:
    return await service.registrations(session, activity_id, principal)


@router.post(
    "/{activity_id}/self-check-ins",
    response_model=SelfCheckInOut,
    summary="本人扫码签到：签到码 + 本人账号（或报名时的姓名和手机号）；再次扫码显示第一次签到的时间",
)
async def self_check_in(
    activity_id: uuid.UUID,
    body: SelfCheckInCreate,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: OptionalPrincipal,
) -> SelfCheckInOut:
    return await service.self_check_in(session, settings, pii, activity_id, body, principal)


@router.post(
    "/{activity_id}/check-in-code",
    response_model=CheckInCode,
    summary="生成活动的签到码（签名令牌，做成二维码；活动结束时过期）",
)
async def issue_check_in_code(
    activity_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Officer
) -> CheckInCode:
    activity = await service.get_hosted(session, activity_id, principal, "生成本部门主办活动的签到码")
    return service.check_in_code(settings, activity)


@router.post(
    "/{activity_id}/check-ins",
    response_model=RegistrationOut,
    summary="扫码签到：签到码 + 报名编号；重复签到保持第一次的时间，签到码无效或过期 422",
)
async def check_in(
    activity_id: uuid.UUID,
    body: CheckInCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Officer,
) -> RegistrationOut:
    row = await service.check_in(session, settings, activity_id, body.code, body.registration, principal)
    return service.registration_out(row)


@router.put(
    "/{activity_id}/outcomes",
    response_model=ActivityOut,
    summary="活动结束后登记成果：合作项目数、商洽数",
)
async def record_outcomes(
    activity_id: uuid.UUID, body: OutcomesIn, session: SessionDep, principal: Officer
) -> ActivityOut:
    activity = await service.record_outcomes(session, activity_id, body, principal)
    return (await service.views(session, [activity]))[0]


@router.post(
    "/{activity_id}/leads",
    status_code=201,
    response_model=LeadOut,
    summary="登记活动现场的线索：企业或人才的需求，或合作、商洽（主办部门工作人员；活动开始后）",
)
async def record_lead(
    activity_id: uuid.UUID, body: LeadCreate, session: SessionDep, principal: Officer
) -> LeadOut:
    return leads.lead_out(await leads.record(session, activity_id, body, principal))


@router.get(
    "/{activity_id}/leads",
    response_model=LeadList,
    summary="活动的线索及转化情况（主办部门工作人员）",
)
async def list_leads(activity_id: uuid.UUID, session: SessionDep, principal: HostStaff) -> LeadList:
    return await leads.listing(session, activity_id, principal)


@router.post(
    "/{activity_id}/leads/{lead_id}/conversion",
    response_model=LeadOut,
    summary="需求线索转化：转为服务工单（本服务受理），或转为技术需求（由 svc-matching 受理）；只能转化一次",
)
async def convert_lead(
    activity_id: uuid.UUID,
    lead_id: uuid.UUID,
    body: LeadConversion,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: Officer,
) -> LeadOut:
    lead = await leads.convert(session, settings, pii, activity_id, lead_id, body, principal)
    return leads.lead_out(lead)
