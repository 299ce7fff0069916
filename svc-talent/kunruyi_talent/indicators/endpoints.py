from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response
from kunruyi_common.db import SessionDep

from kunruyi_talent.indicators import annual, service
from kunruyi_talent.indicators.auth import DepartmentOfficerOrApprover, StaffOrLeader
from kunruyi_talent.indicators.schemas import (
    AnnualReport,
    IndicatorDetail,
    IndicatorList,
    ReportIn,
    ReportOut,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/api/v1/indicators", tags=["指标体系 indicators"])


@router.get(
    "",
    response_model=IndicatorList,
    summary="行动计划指标体系：每个指标的基数、目标、当前值、按线性进度的状态",
)
async def list_indicators(session: SessionDep, principal: StaffOrLeader) -> IndicatorList:
    return await service.overview(session)


@router.get(
    "/annual-reports/{year}",
    response_model=AnnualReport,
    summary="年度监测分析：每个指标在该年最后一个有数据的季度的值、线性进度、状态与四个季度",
)
async def annual_report(year: int, session: SessionDep, principal: StaffOrLeader) -> AnnualReport:
    return await annual.build(session, year)


@router.get(
    "/annual-reports/{year}/xlsx",
    summary="年度监测分析（Excel 工作簿）",
    response_model=None,
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def annual_report_xlsx(year: int, session: SessionDep, principal: StaffOrLeader) -> Response:
    report = await annual.build(session, year)
    return Response(
        annual.to_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="indicators-{year}.xlsx"'},
    )


@router.get(
    "/{code}",
    response_model=IndicatorDetail,
    summary="一个指标：逐季度的值与线性进度、按区镇、报送与审核记录（含修订）",
)
async def get_indicator(code: str, session: SessionDep, principal: StaffOrLeader) -> IndicatorDetail:
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
