from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.reports.auth import FinanceApproverOfficerOrLeader
from kunruyi_disbursement.reports.schemas import DisbursementReport, GroupBy
from kunruyi_disbursement.reports.service import disbursement_report, to_csv, to_xlsx

router = APIRouter(prefix="/api/v1/reports", tags=["报表 reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/disbursements",
    summary="兑现统计（按政策、部门、区镇、月份、方式），可导出 CSV / XLSX",
    response_model=None,
    responses={
        200: {
            "description": "format=json：统计 JSON；format=csv：CSV（UTF-8 带 BOM）；format=xlsx：Excel 工作簿",
            "model": DisbursementReport,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def disbursements(
    session: SessionDep,
    principal: FinanceApproverOfficerOrLeader,
    group_by: GroupBy = "policy",
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
    date_from: date | None = None,
    date_to: date | None = None,
) -> DisbursementReport | Response:
    report = await disbursement_report(session, group_by, date_from=date_from, date_to=date_to)
    if format == "csv":
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="disbursements-by-{group_by}.csv"'},
        )
    if format == "xlsx":
        return Response(
            to_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="disbursements-by-{group_by}.xlsx"'},
        )
    return DisbursementReport.model_validate(report)
