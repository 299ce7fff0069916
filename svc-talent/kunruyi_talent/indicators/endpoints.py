from __future__ import annotations

import uuid

from fastapi import APIRouter
from kunruyi_common.db import SessionDep

from kunruyi_talent.indicators import service
from kunruyi_talent.indicators.auth import DepartmentOfficerOrApprover, Staff
from kunruyi_talent.indicators.schemas import IndicatorDetail, IndicatorList, ReportIn, ReportOut

router = APIRouter(prefix="/api/v1/indicators", tags=["指标体系 indicators"])


@router.get(
    "",
    response_model=IndicatorList,
    summary="行动计划指标体系：每个指标的基数、目标、当前值、按线性进度的状态",
)
async def list_indicators(session: SessionDep, principal: Staff) -> IndicatorList:
    return await service.overview(session)


@router.get(
    "/{code}",
    response_model=IndicatorDetail,
    summary="一个指标：逐季度的值与线性进度、按区镇、报送与审核记录（含修订）",
)
async def get_indicator(code: str, session: SessionDep, principal: Staff) -> IndicatorDetail:
    return await service.detail(session, code)


@router.post(
    "/{code}/reports",
    status_code=201,
    response_model=ReportOut,
    summary="牵头部门报送一个季度的值（附说明）；同一季度再次报送为修订，保留历史；须另一人审核",
)
async def submit_report(
    code: str, body: ReportIn, session: SessionDep, principal: DepartmentOfficerOrApprover
) -> ReportOut:
    return service.report_out(await service.submit(session, code, body, principal))


@router.post(
    "/{code}/reports/{report_id}/approve",
    response_model=ReportOut,
    summary="审核报送（须为本部门的另一人；本人审核 409 same_person）",
)
async def approve_report(
    code: str, report_id: uuid.UUID, session: SessionDep, principal: DepartmentOfficerOrApprover
) -> ReportOut:
    return service.report_out(await service.approve(session, code, report_id, principal))
