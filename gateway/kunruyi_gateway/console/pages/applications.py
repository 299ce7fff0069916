"""The reviewer's and approver's queue of applications (兑现审核): steps, returns, rejections, objections, attachments."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, mint_internal_token
from kunruyi_common.errors import ProblemError
from kunruyi_common.file_types import DOWNLOAD, sniffed_type

from kunruyi_gateway.console.auth import OfficerReviewerOrApproverDesk
from kunruyi_gateway.console.pages.common import (
    calls_for,
    is_htmx,
    names_of,
    page,
    problem_status,
    problem_text,
)
from kunruyi_gateway.console.views import applications as applications_views
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

# What a reviewer's browser shows in place: the upload's PDFs and photos.
_INLINE = ("application/pdf", "image/png", "image/jpeg")

router = APIRouter()


@router.get("/applications", response_class=HTMLResponse)
async def applications(
    request: Request,
    session: OfficerReviewerOrApproverDesk,
    status: str | None = None,
    policy_code: str | None = None,
    department: str | None = None,
) -> HTMLResponse:
    template = "console/_applications_list.html" if is_htmx(request) else "console/applications.html"
    try:
        queue = await applications_views.application_queue(
            calls_for(request, session),
            names_of(request),
            roles=list(session.roles),
            department=session.department,
            status=status or None,
            policy_code=policy_code or None,
            department_filter=department or None,
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        ctx = {
            "queue": None,
            "problems": [problem_text(exc)],
            "filters": {"status": status, "policy_code": policy_code, "department": department},
        }
        return await page(
            request, session, template, status=code, statuses=applications_views.APPLICATION_STATUS, **ctx
        )
    return await page(
        request,
        session,
        template,
        queue=queue,
        filters=queue.filters,
        statuses=applications_views.APPLICATION_STATUS,
    )


async def _application_panel(
    request: Request,
    session: SignedIn,
    application_id: uuid.UUID,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    template = "console/_application_panel.html" if is_htmx(request) else "console/application.html"
    try:
        detail = await applications_views.application_detail(
            calls_for(request, session), names_of(request), str(application_id)
        )
    except UpstreamError as exc:
        return await page(
            request,
            session,
            template,
            status=problem_status(exc),
            app=None,
            app_id=str(application_id),
            problems=[*(problems or []), problem_text(exc)],
        )
    return await page(
        request,
        session,
        template,
        status=status,
        app=detail,
        app_id=str(application_id),
        notice=notice,
        problems=problems or [],
        form=form or {},
        step_titles=applications_views.APPLICATION_STATUS,
    )


async def _application_action(
    request: Request,
    session: SignedIn,
    application_id: uuid.UUID,
    action: Awaitable[None],
    *,
    notice: str,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    """Run one upstream action; its refusal is shown in the application's panel with the form kept."""
    try:
        await action
    except UpstreamError as exc:
        return await _application_panel(
            request,
            session,
            application_id,
            problems=[problem_text(exc)],
            status=problem_status(exc),
            form=form,
        )
    return await _application_panel(request, session, application_id, notice=notice)


@router.get("/applications/{application_id}", response_class=HTMLResponse)
async def application(
    request: Request, session: OfficerReviewerOrApproverDesk, application_id: uuid.UUID
) -> HTMLResponse:
    return await _application_panel(request, session, application_id)


@router.post("/applications/{application_id}/step", response_class=HTMLResponse)
async def advance(
    request: Request, session: OfficerReviewerOrApproverDesk, application_id: uuid.UUID
) -> HTMLResponse:
    form = await request.form()
    to_status = str(form.get("to_status") or "")
    calls = calls_for(request, session)
    try:
        detail = await applications_views.application_detail(calls, names_of(request), str(application_id))
        confirmed = {k[len("confirm:") :]: True for k in form if k.startswith("confirm:")}
        notes = {k[len("note:") :]: str(v) for k, v in form.items() if k.startswith("note:")}
        comment = applications_views.confirmation_comment(
            detail.manual, confirmed, notes, str(form.get("comment") or "")
        )
        await applications_views.advance_application(calls, str(application_id), to_status, comment)
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _application_panel(
            request,
            session,
            application_id,
            problems=[problem_text(exc)],
            status=code,
            form={"comment": form.get("comment")},
        )
    title = applications_views.APPLICATION_STATUS.get(to_status, to_status)
    return await _application_panel(request, session, application_id, notice=f"已办理：{title}")


@router.post("/applications/{application_id}/return", response_class=HTMLResponse)
async def return_for_supplement(
    request: Request, session: OfficerReviewerOrApproverDesk, application_id: uuid.UUID
) -> HTMLResponse:
    form = await request.form()
    missing = str(form.get("missing") or "").splitlines()
    if not any(m.strip() for m in missing):
        return await _application_panel(
            request,
            session,
            application_id,
            problems=["退回补正须列出缺少的材料或内容（每行一项）"],
            status=422,
            form={"missing_error": "请列出需补正的内容"},
        )
    call = applications_views.return_application(
        calls_for(request, session), str(application_id), missing, str(form.get("comment") or "")
    )
    return await _application_action(
        request,
        session,
        application_id,
        call,
        notice="已退回补正，申请人将看到需补正的清单",
        form={"missing": form.get("missing")},
    )


@router.post("/applications/{application_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request, session: OfficerReviewerOrApproverDesk, application_id: uuid.UUID
) -> HTMLResponse:
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return await _application_panel(
            request,
            session,
            application_id,
            problems=["不予通过须说明理由"],
            status=422,
            form={"reason_error": "请填写理由"},
        )
    call = applications_views.reject_application(calls_for(request, session), str(application_id), reason)
    return await _application_action(request, session, application_id, call, notice="已作出不予通过决定")


@router.post("/applications/{application_id}/objections", response_class=HTMLResponse)
async def objection(
    request: Request, session: OfficerReviewerOrApproverDesk, application_id: uuid.UUID
) -> HTMLResponse:
    form = await request.form()
    objector = str(form.get("objector") or "").strip()
    content = str(form.get("content") or "").strip()
    if not objector or not content:
        return await _application_panel(
            request,
            session,
            application_id,
            problems=["请填写异议人和异议内容"],
            status=422,
            form={"objector": objector, "content": content},
        )
    call = applications_views.record_objection(
        calls_for(request, session), str(application_id), objector, content
    )
    return await _application_action(
        request,
        session,
        application_id,
        call,
        notice="已登记公示期异议",
        form={"objector": objector, "content": content},
    )


@router.get("/applications/{application_id}/attachments/{attachment_id}")
async def attachment(
    request: Request,
    session: OfficerReviewerOrApproverDesk,
    application_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> Response:
    """The material itself, streamed from svc-disbursement as the signed-in staff member (opens in the browser)."""
    settings: Settings = request.app.state.settings
    token = mint_internal_token(
        session.principal(), settings.internal_token_secret, ttl_s=settings.internal_token_ttl_s
    )
    try:
        status, raw = await request.app.state.upstreams.call(
            "disbursement",
            "GET",
            f"/api/v1/applications/{application_id}/attachments/{attachment_id}",
            headers={INTERNAL_TOKEN_HEADER: token},
            timeout_s=30.0,
        )
    except ProblemError as exc:
        return await page(request, session, "console/error.html", status=503, problems=[problem_text(exc)])
    if status != 200:
        return await page(
            request,
            session,
            "console/error.html",
            status=status,
            problems=["材料无法打开：" + raw.decode(errors="replace")[:300]],
        )
    # The upstream answer's headers are not passed along by Upstreams.call: inline only what the bytes show to be a
    # PDF or a photo (the kit's sniffer), everything else as a download.
    sniffed = sniffed_type(raw)
    media = sniffed if sniffed in _INLINE else DOWNLOAD
    disposition = "inline" if media != DOWNLOAD else "attachment"
    return Response(
        raw,
        media_type=media,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(str(attachment_id))}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
