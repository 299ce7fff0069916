from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import PayloadTooLarge
from kunruyi_common.jobs import db_now

from kunruyi_policy.catalog.spreadsheet import to_csv, to_xlsx
from kunruyi_policy.catalog_sheets import service
from kunruyi_policy.catalog_sheets.schemas import CatalogSheetReport
from kunruyi_policy.jobs import service as jobs
from kunruyi_policy.jobs.schemas import JobOut
from kunruyi_policy.management.auth import Officer

router = APIRouter(prefix="/api/v1/policy-catalog", tags=["政策目录表格 catalog sheets"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 10 * 1024 * 1024
_EXAMPLE_ROW = (
    "政策编码,政策名称,所属文件,文号,部门,主题服务,类型,对象,兑现方式,兑现形式,互斥组,叠加封顶组,一次性,兑现时限,"
    "年度预算（分）,生效日期,条件,金额公式（JSON，分）,金额上限（分）,参数（JSON）,标签（JSON）\n"
    "KS-KJ-901,科技型中小企业评价奖励,,昆科规〔2024〕9号,sci_tech,innovation_rd,奖补,enterprise,application,cash,,,否,20,"
    '0,2025-01-01,"sme | 科技型中小企业 | qualifications 包含 ""tech_sme""\nplan | 提交研发计划 | 人工确认",'
    "1000000,,{},[]\n"
)


@router.get(
    "/export",
    summary="导出政策目录表格（CSV / XLSX，本部门；管理员全部），含现行规则或未发布草稿",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "format=csv：CSV（UTF-8 带 BOM）；format=xlsx：Excel 工作簿。列见 svc-policy README",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def export_catalog(
    session: SessionDep,
    principal: Officer,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv 或 xlsx")] = "xlsx",
) -> Response:
    rows = await service.export_sheet(session, principal)
    if format == "csv":
        return Response(
            "\ufeff" + to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="policy-catalog.csv"'},
        )
    return Response(
        to_xlsx(rows),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="policy-catalog.xlsx"'},
    )


@router.post(
    "/imports",
    summary="导入政策目录表格：试导入（dry_run=true）即时返回逐行报告；正式导入（dry_run=false）答 202 与后台任务，"
    "任务先整表校验，无误才分块写入为草稿（新政策与新草稿版本），发布另行指定生效日期",
    response_model=CatalogSheetReport,
    responses={
        202: {
            "model": JobOut,
            "description": "正式导入已排队：后台任务（Location 为其地址；GET 查看进度，结果报告在 result，"
            "有问题的表格任务以 failed 结束，result.problem 为 catalog_sheet_rejected 的 problem+json）",
        }
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "examples": {
                        "dry_run": {
                            "summary": "试导入一行（不写入）",
                            "value": {"file": _EXAMPLE_ROW, "dry_run": "true"},
                        }
                    }
                }
            }
        }
    },
)
async def import_catalog(
    file: UploadFile,
    session: SessionDep,
    principal: Officer,
    dry_run: Annotated[
        bool, Form(description="true（默认）：只校验不写入；false：排队为后台任务写入")
    ] = True,
) -> CatalogSheetReport | JSONResponse:
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge("表格超过 10 MB", field="file")
    rows = service.read_sheet(file.filename or "", content)
    if dry_run:
        report = await service.import_sheet(session, principal, rows, dry_run=True)
        return CatalogSheetReport.model_validate(report)
    job = await service.enqueue_import(session, principal, rows, file.filename or "")
    body = JobOut.model_validate(jobs.job_public(job, await db_now(session)))
    return JSONResponse(jsonable_encoder(body), status_code=202, headers={"Location": jobs.job_url(job.id)})
