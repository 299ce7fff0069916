"""Staff API for bulk 昆e服 codes: a batch is a background job — 202 at once, progress on GET, cancel, and the
issued codes as a CSV once done."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.jobs import db_now
from kunruyi_common.openapi import problem_responses

from kunruyi_gateway.access.gate import StaffCaller
from kunruyi_gateway.code_batches import service
from kunruyi_gateway.code_batches.schemas import CodeBatchCreate, CodeBatchOut
from kunruyi_gateway.settings import Settings

router = APIRouter(prefix="/api/v1/service-codes/batches", tags=["昆e服服务码 service codes"])


@router.post(
    "",
    status_code=202,
    response_model=CodeBatchOut,
    summary="批量生成昆e服码：逐项先校验（任一项有误则不生成，problem+json 逐项指明字段），无误即排队为后台任务，"
    "答 202 与任务（Location 为其地址）",
)
async def start_batch(body: CodeBatchCreate, session: SessionDep, caller: StaffCaller) -> JSONResponse:
    items = service.check_items(body.items)
    job = await service.enqueue(session, items, caller, source="api")
    out = CodeBatchOut.model_validate(service.public(job, await db_now(session)))
    return JSONResponse(jsonable_encoder(out), status_code=202, headers={"Location": service.job_url(job.id)})


@router.get(
    "/{job_id}",
    response_model=CodeBatchOut,
    summary="批量生成的进度：已生成/总数、速率、预计剩余时间、状态；完成后 codes_url 可下载",
)
async def get_batch(job_id: uuid.UUID, session: SessionDep, _: StaffCaller) -> dict[str, Any]:
    job = await service.get(session, job_id)
    return service.public(job, await db_now(session))


@router.post(
    "/{job_id}/cancel",
    response_model=CodeBatchOut,
    summary="取消批量生成（已生成的码保留，不再继续）；只有该批次所属部门工作人员和管理员可以取消",
    responses=problem_responses(403, 404, 409),
)
async def cancel_batch(job_id: uuid.UUID, session: SessionDep, caller: StaffCaller) -> dict[str, Any]:
    job = await service.cancel(session, job_id, caller)
    return service.public(job, await db_now(session))


@router.get(
    "/{job_id}/codes.csv",
    summary="下载本批已生成的码（CSV：名称、编号、二维码地址）",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def batch_codes(job_id: uuid.UUID, request: Request, session: SessionDep, _: StaffCaller) -> Response:
    await service.get(session, job_id)
    settings: Settings = request.app.state.settings
    return Response(
        service.as_csv(settings, await service.issued(session, job_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="service-codes-{job_id}.csv"'},
    )
