"""Staff API for 昆e服 codes: issue, list, download as PNG / SVG, revoke."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from kunruyi_common.auth import Principal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import Forbidden, OtherDepartment
from kunruyi_common.openapi import problem_responses

from kunruyi_gateway.access.gate import StaffCaller
from kunruyi_gateway.service_codes import service
from kunruyi_gateway.service_codes.access import department_of
from kunruyi_gateway.service_codes.exceptions import ActivityCheckInUnavailable, QrActivityNotFound
from kunruyi_gateway.service_codes.schemas import (
    ActivityCheckInQr,
    ServiceCodeCreate,
    ServiceCodeList,
    ServiceCodeOut,
)
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import PageCalls, UpstreamError

router = APIRouter(prefix="/api/v1/service-codes", tags=["昆e服服务码 service codes"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("", status_code=status.HTTP_201_CREATED, summary="生成昆e服码（企业、园区、人才会客厅）")
async def issue_code(
    body: ServiceCodeCreate, request: Request, session: SessionDep, caller: StaffCaller
) -> ServiceCodeOut:
    code = await service.issue(session, body, caller.subject, department=department_of(caller))
    return service.to_out(_settings(request), code)


@router.get("", summary="昆e服码列表")
async def list_codes(
    request: Request, session: SessionDep, _: StaffCaller, target: str | None = None
) -> ServiceCodeList:
    codes = await service.list_codes(session, target=target)
    return ServiceCodeList(items=[service.to_out(_settings(request), c) for c in codes])


async def _activity_qr(request: Request, activity_id: uuid.UUID, caller: Principal) -> ActivityCheckInQr:
    """svc-talent issues the activity's signed check-in code (as the officer asking); the QR carries the 昆e服
    check-in page's address with it."""
    calls = PageCalls(request.app.state.upstreams, _settings(request), caller)
    try:
        issued: Any = await calls.call("talent", "POST", f"/api/v1/activities/{activity_id}/check-in-code")
    except UpstreamError as exc:
        if exc.status == 404:
            raise QrActivityNotFound(f"没有编号为 {activity_id} 的活动") from None
        if exc.status == 403:
            # svc-talent's refusal (another department's activity, a role it does not take) is the officer's
            # answer, not an outage.
            problem = exc.body if isinstance(exc.body, dict) else {}
            refusal = OtherDepartment if problem.get("code") == OtherDepartment.code else Forbidden
            raise refusal(problem.get("detail") or "无权为该活动生成签到二维码") from None
        raise ActivityCheckInUnavailable("活动服务暂不可用，请稍后再试") from None
    base = _settings(request).public_base_url.rstrip("/")
    return ActivityCheckInQr(
        activity_id=activity_id,
        url=f"{base}/m/activities/{activity_id}/check-in?code={quote(str(issued['code']), safe='')}",
        png_url=f"{base}/api/v1/service-codes/activities/{activity_id}/qr.png",
        expires_at=issued["expires_at"],
    )


@router.get("/activities/{activity_id}", summary="活动签到二维码：昆e服签到页地址（带活动的签名签到码）")
async def activity_check_in_qr(
    activity_id: uuid.UUID, request: Request, caller: StaffCaller
) -> ActivityCheckInQr:
    return await _activity_qr(request, activity_id, caller)


@router.get(
    "/activities/{activity_id}/qr.png",
    summary="下载活动签到二维码 PNG（张贴在活动现场）",
    response_class=Response,
)
async def activity_check_in_png(activity_id: uuid.UUID, request: Request, caller: StaffCaller) -> Response:
    qr = await _activity_qr(request, activity_id, caller)
    return Response(
        service.qr_png(qr.url),
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="activity-{activity_id}.png"'},
    )


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


@router.post(
    "/{code_id}/revoke",
    summary="作废昆e服码（扫码将显示已失效）；只有生成该码的部门工作人员和管理员可以作废",
    responses=problem_responses(403, 404, 409),
)
async def revoke_code(
    code_id: uuid.UUID, request: Request, session: SessionDep, caller: StaffCaller
) -> ServiceCodeOut:
    revoked = await service.revoke(session, code_id, caller)
    request.app.state.qr_page_cache.forget(code_id)  # this replica's pages at once, the others within the TTL
    return service.to_out(_settings(request), revoked)
