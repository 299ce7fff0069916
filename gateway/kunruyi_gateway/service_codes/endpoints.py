"""Staff API for 昆e服 codes: issue, list, download as PNG / SVG, revoke."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from kunruyi_common.db import SessionDep

from kunruyi_gateway.access.gate import StaffCaller
from kunruyi_gateway.service_codes import service
from kunruyi_gateway.service_codes.schemas import ServiceCodeCreate, ServiceCodeList, ServiceCodeOut
from kunruyi_gateway.settings import Settings

router = APIRouter(prefix="/api/v1/service-codes", tags=["昆e服服务码 service codes"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("", status_code=status.HTTP_201_CREATED, summary="生成昆e服码（企业、园区、人才会客厅）")
async def issue_code(
    body: ServiceCodeCreate, request: Request, session: SessionDep, caller: StaffCaller
) -> ServiceCodeOut:
    code = await service.issue(session, body, caller.subject)
    return service.to_out(_settings(request), code)


@router.get("", summary="昆e服码列表")
async def list_codes(
    request: Request, session: SessionDep, _: StaffCaller, target: str | None = None
) -> ServiceCodeList:
    codes = await service.list_codes(session, target=target)
    return ServiceCodeList(items=[service.to_out(_settings(request), c) for c in codes])


@router.get("/{code_id}", summary="查看昆e服码（含扫码次数）")
async def get_code(
    code_id: uuid.UUID, request: Request, session: SessionDep, _: StaffCaller
) -> ServiceCodeOut:
    return service.to_out(_settings(request), await service.get(session, code_id))


@router.get("/{code_id}/qr.png", summary="下载二维码 PNG", response_class=Response)
async def code_png(code_id: uuid.UUID, request: Request, session: SessionDep, _: StaffCaller) -> Response:
    code = await service.get(session, code_id)
    return Response(
        service.qr_png(service.code_url(_settings(request), code)),
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="kunefu-{code.id}.png"'},
    )


@router.get("/{code_id}/qr.svg", summary="下载二维码 SVG", response_class=Response)
async def code_svg(code_id: uuid.UUID, request: Request, session: SessionDep, _: StaffCaller) -> Response:
    code = await service.get(session, code_id)
    return Response(
        service.qr_svg(service.code_url(_settings(request), code)),
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="kunefu-{code.id}.svg"'},
    )


@router.post("/{code_id}/revoke", summary="作废昆e服码（扫码将显示已失效）")
async def revoke_code(
    code_id: uuid.UUID, request: Request, session: SessionDep, caller: StaffCaller
) -> ServiceCodeOut:
    return service.to_out(_settings(request), await service.revoke(session, code_id, caller.subject))
