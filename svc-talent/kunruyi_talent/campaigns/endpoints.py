from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import PayloadTooLarge
from sqlalchemy import select

from kunruyi_talent.campaigns import service, sheet
from kunruyi_talent.campaigns.auth import Officer, OfficerReviewerOrApprover
from kunruyi_talent.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignPage,
    CampaignStats,
    Goals,
    SheetReport,
    VisitCreate,
    VisitOut,
    VisitPage,
)
from kunruyi_talent.deps import PersonalDataDep, SettingsDep
from kunruyi_talent.models import Campaign

router = APIRouter(prefix="/api/v1/campaigns", tags=["专项服务与走访 campaigns"])


@router.post(
    "",
    status_code=201,
    response_model=CampaignOut,
    summary="创建专项服务活动（服务月）：期间、区镇、服务队、目标",
)
async def create_campaign(body: CampaignCreate, session: SessionDep, principal: Officer) -> CampaignOut:
    campaign = await service.create(session, body, principal)
    return await service.view(session, campaign)


@router.get("", response_model=CampaignPage, summary="专项服务活动列表（新的在前）")
async def list_campaigns(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CampaignPage:
    rows = (await session.scalars(select(Campaign).order_by(Campaign.period_start.desc()).limit(limit))).all()
    return CampaignPage(items=[await service.view(session, c) for c in rows])


@router.get("/{code}", response_model=CampaignOut, summary="专项服务活动详情")
async def get_campaign(code: str, session: SessionDep, principal: OfficerReviewerOrApprover) -> CampaignOut:
    return await service.view(session, await service.get(session, code))


@router.post(
    "/{code}/visits",
    status_code=201,
    response_model=VisitOut,
    summary="登记一次走访；每个问题生成一张工单（渠道 visit）",
)
async def record_visit(
    code: str,
    body: VisitCreate,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: Officer,
) -> VisitOut:
    campaign = await service.get(session, code)
    return await service.record_visit(session, settings, pii, campaign, body, principal)


@router.get("/{code}/visits", response_model=VisitPage, summary="走访记录（新的在前）")
async def list_visits(
    code: str,
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> VisitPage:
    campaign = await service.get(session, code)
    return VisitPage(items=await service.list_visits(session, campaign, limit))


@router.post(
    "/{code}/visits/import",
    response_model=SheetReport,
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"example": {"file": "第一服务队走访表.xlsx"}}}}
    },
    summary="导入服务队的走访表（XLSX / CSV）；dry_run 只检查并列出逐行错误，有错误时整表不导入",
)
async def import_visits(
    code: str,
    file: UploadFile,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: Officer,
    dry_run: bool = False,
) -> SheetReport:
    campaign = await service.get(session, code)
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise PayloadTooLarge("文件过大")
    return await sheet.import_sheet(
        session, settings, pii, campaign, file.filename or "", content, principal, dry_run=dry_run
    )


@router.get(
    "/{code}/stats",
    response_model=CampaignStats,
    summary="活动统计：走访数/目标数、问题数、答复率、解决率、按时率、满意度，按服务队与区镇",
)
async def campaign_stats(
    code: str, session: SessionDep, principal: OfficerReviewerOrApprover
) -> CampaignStats:
    campaign = await service.get(session, code)
    totals, by_team, by_district = await service.stats(session, campaign)
    met = {}
    if campaign.goal_visits is not None:
        met["visits"] = totals.visits >= campaign.goal_visits
    if campaign.goal_problems is not None:
        met["problems"] = totals.problems >= campaign.goal_problems
    if campaign.goal_reply_rate is not None:
        met["reply_rate"] = (totals.reply_rate or 0) >= campaign.goal_reply_rate
    if campaign.goal_solve_rate is not None:
        met["solve_rate"] = (totals.solve_rate or 0) >= campaign.goal_solve_rate
    if campaign.goal_on_time_rate is not None:
        met["on_time_rate"] = (totals.on_time_rate or 0) >= campaign.goal_on_time_rate
    if campaign.goal_satisfaction is not None:
        # Unrated (no ratings yet) is not met.
        met["satisfaction"] = (totals.satisfaction or 0) >= campaign.goal_satisfaction
    return CampaignStats(
        code=campaign.code,
        totals=totals,
        goals=Goals(
            visits=campaign.goal_visits,
            problems=campaign.goal_problems,
            reply_rate=campaign.goal_reply_rate,
            solve_rate=campaign.goal_solve_rate,
            on_time_rate=campaign.goal_on_time_rate,
            satisfaction=campaign.goal_satisfaction,
            met=met,
        ),
        by_team=by_team,
        by_district=by_district,
    )
