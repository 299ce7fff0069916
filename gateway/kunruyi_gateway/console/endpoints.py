"""The staff console at ``/console``: sign-in through the city's identity provider, then a queue per role.

Server-rendered pages (the shared Jinja2 environment and layout); filters and actions are htmx requests that
swap one part of the page (a list, a record's panel), and the same forms work without JavaScript (full pages).
Every upstream call is made as the signed-in staff member (``PageCalls.for_session``), so the services apply
their own rules (department, four eyes, transitions); their refusals are shown where the action was taken.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, mint_internal_token
from kunruyi_common.clock import local_today, utc_now
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import ProblemError
from kunruyi_common.jobs import db_now
from kunruyi_common.taxonomy import TAXONOMY
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.code_batches import service as code_batches
from kunruyi_gateway.console import cockpit, oidc, programs, service
from kunruyi_gateway.console import leads as console_leads
from kunruyi_gateway.console.auth import (
    ActivityDesk,
    AdminDesk,
    BrokerOrOfficerDesk,
    CatalogDesk,
    CockpitDesk,
    DeliveriesDesk,
    FinanceOrApproverDesk,
    IndicatorReporterDesk,
    OfficerDesk,
    OfficerReviewerOrApproverDesk,
    PlatformDesk,
    ProgramDesk,
    RunsDesk,
    ServiceCodeDesk,
)
from kunruyi_gateway.console.exceptions import ConsoleRoleRequired, SignInFailed
from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.partners import service as partner_service
from kunruyi_gateway.service_codes import service as code_service
from kunruyi_gateway.service_codes.service import qr_svg as qr_image_svg
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import PageCalls, UpstreamError, multipart_body
from kunruyi_gateway.web.csrf import CsrfProtected
from kunruyi_gateway.web.sessions import (
    OptionalWebSession,
    SignedIn,
    StaffSession,
    end_session,
    start_session,
)
from kunruyi_gateway.web.setup import exc_to_problem, wants_html
from kunruyi_gateway.web.templating import render

router = APIRouter(
    prefix="/console", tags=["工作台 console"], include_in_schema=False, dependencies=[CsrfProtected]
)

NAV = (
    ("tickets", "诉求工单"),
    ("applications", "兑现审核"),
    ("finance", "资金拨付"),
    ("broker", "技术需求"),
    ("catalog", "政策目录"),
    ("activities", "活动"),
    ("platforms", "科创平台"),
    ("programs", "人才计划"),
    ("cockpit", "指标驾驶舱"),
    ("runs", "免申即享批次"),
    ("overview", "总览"),
    ("partners", "合作方密钥"),
    ("codes", "昆e服码"),
    ("deliveries", "短信发送记录"),
)


def _names(request: Request) -> NameDirectory:
    names: NameDirectory | None = getattr(request.app.state, "console_names", None)
    if names is None:
        names = request.app.state.console_names = NameDirectory()
    return names


def _calls(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.for_session(request, session)


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def problem_status(exc: ProblemError | UpstreamError) -> int:
    """The status a page answers with: the service's own when it refused (4xx), 503 when it failed or could not be
    reached (the page itself is up; what is missing is the service behind it)."""
    return exc.status if exc.status and exc.status < 500 else 503


def problem_text(exc: Exception) -> str:
    """What the page says about a refusal: the service's own words, its code, and what to do."""
    if isinstance(exc, ProblemError):
        return exc.detail
    if isinstance(exc, UpstreamError):
        body = exc.body if isinstance(exc.body, dict) else {}
        if exc.status is None:
            return f"服务暂不可用，请稍后再试（{exc}）"
        detail = body.get("detail") or body.get("title") or str(exc)
        code = body.get("code")
        errors = body.get("errors") or []
        fields = "；".join(
            f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict) and e.get("field")
        )
        text = str(detail)
        if fields and fields not in text:
            text = f"{text}（{fields}）"
        return f"{text} [{code}]" if code else text
    return str(exc)


async def _page(
    request: Request, session: SignedIn, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    roles = list(session.roles)
    context.setdefault("problems", [])
    return await render(
        request,
        template,
        status=status,
        nav=[(key, label) for key, label in NAV if service.may_open(key, roles)],
        role_titles="、".join(service.ROLE_TITLES.get(r, r) for r in roles),
        is_admin="admin" in roles,
        **context,
    )


async def _view_page(
    request: Request,
    session: SignedIn,
    template: str,
    load: Awaitable[Any],
    *,
    code: int = 200,
    problems: list[str] | None = None,
    from_view: Callable[[Any], dict[str, Any]] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page built from the services' answers (``load``): when a service refuses or is down, the page still
    opens, with its words where the view would be and the status it carried."""
    try:
        view = await load
    except (ProblemError, UpstreamError) as exc:
        return await _page(
            request,
            session,
            template,
            status=problem_status(exc),
            view=None,
            problems=[*(problems or []), problem_text(exc)],
            **context,
        )
    context.update(from_view(view) if from_view else {})
    return await _page(request, session, template, status=code, view=view, problems=problems or [], **context)


# --- sign-in ----------------------------------------------------------------------------------------------------


def _redirect_uri(request: Request) -> str:
    settings: Settings = request.app.state.settings
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    return f"{base}{oidc.CALLBACK_PATH}"


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/console") and not value.startswith("//") else "/console"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, session: OptionalWebSession, next: str | None = None) -> Response:
    if session is not None and session.kind == "staff":
        return RedirectResponse(_safe_next(next), status_code=303)
    return await render(
        request, "console/login.html", next=_safe_next(next), problems=[], session=None, csrf_token=""
    )


@router.get("/login/start")
async def login_start(request: Request, next: str | None = None) -> Response:
    settings: Settings = request.app.state.settings
    url, sealed = oidc.begin(settings, _redirect_uri(request), _safe_next(next))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        oidc.FLOW_COOKIE,
        sealed,
        max_age=oidc.FLOW_TTL_S,
        path="/console/auth",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/auth/callback")
async def login_callback(
    request: Request, code: str | None = None, state: str | None = None, error: str | None = None
) -> Response:
    settings: Settings = request.app.state.settings
    flow = oidc.unseal(settings, request.cookies.get(oidc.FLOW_COOKIE))
    jwks: oidc.JwksCache | None = getattr(request.app.state, "console_jwks", None)
    if jwks is None:
        jwks = request.app.state.console_jwks = oidc.JwksCache()
    try:
        who = await oidc.finish(
            settings,
            request.app.state.upstreams.client,
            jwks,
            flow,
            code=code,
            state=state,
            error=error,
            redirect_uri=_redirect_uri(request),
        )
    except SignInFailed as exc:
        page = await render(
            request,
            "console/login.html",
            status=401,
            next="/console",
            problems=[exc.detail],
            session=None,
            csrf_token="",
        )
        page.delete_cookie(oidc.FLOW_COOKIE, path="/console/auth")
        return page
    response = RedirectResponse(_safe_next(str((flow or {}).get("next") or "")), status_code=303)
    await start_session(
        request,
        response,
        kind="staff",
        subject=who.subject,
        display_name=who.name,
        method="staff-oidc",
        roles=who.roles,
        department=who.department,
    )
    response.delete_cookie(oidc.FLOW_COOKIE, path="/console/auth")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    await end_session(request, response)
    return response


@router.get("", response_class=HTMLResponse)
async def home(session: StaffSession) -> Response:
    return RedirectResponse(f"/console/{service.home_queue(list(session.roles))}", status_code=303)


# --- officer: tickets -------------------------------------------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
async def tickets(
    request: Request,
    session: OfficerDesk,
    status: str | None = None,
    overdue: bool = False,
    department: str | None = None,
) -> HTMLResponse:
    calls = _calls(request, session)
    try:
        queue = await service.ticket_queue(
            calls,
            _names(request),
            roles=list(session.roles),
            department=session.department,
            status=status or None,
            overdue_only=overdue,
            department_filter=department or None,
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        ctx = {
            "queue": None,
            "problems": [problem_text(exc)],
            "filters": {"status": status, "overdue": overdue, "department": department},
        }
        template = "console/_tickets_list.html" if _is_htmx(request) else "console/tickets.html"
        return await _page(request, session, template, status=code if code >= 400 else 502, **ctx)
    template = "console/_tickets_list.html" if _is_htmx(request) else "console/tickets.html"
    return await _page(
        request, session, template, queue=queue, filters=queue.filters, statuses=service.TICKET_STATUS
    )


async def _ticket_panel(
    request: Request,
    session: SignedIn,
    number: str,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    revealed: dict[str, Any] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    template = "console/_ticket_panel.html" if _is_htmx(request) else "console/ticket.html"
    try:
        ticket = await service.ticket_detail(_calls(request, session), _names(request), number)
    except UpstreamError as exc:
        return await _page(
            request,
            session,
            template,
            status=problem_status(exc),
            ticket=None,
            number=number,
            problems=[*(problems or []), problem_text(exc)],
        )
    return await _page(
        request,
        session,
        template,
        status=status,
        ticket=ticket,
        number=number,
        notice=notice,
        problems=problems or [],
        revealed=revealed,
        form=form or {},
        my_department=session.department,
    )


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    return await _ticket_panel(request, session, number)


@router.post("/tickets/{number}/accept", response_class=HTMLResponse)
async def accept_ticket(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    try:
        await service.accept_ticket(_calls(request, session), number)
    except UpstreamError as exc:
        return await _ticket_panel(
            request, session, number, problems=[problem_text(exc)], status=problem_status(exc)
        )
    return await _ticket_panel(request, session, number, notice="已受理")


@router.post("/tickets/{number}/answer", response_class=HTMLResponse)
async def answer_ticket(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    form = await request.form()
    reply = str(form.get("reply") or "").strip()
    comment = str(form.get("comment") or "").strip() or None
    if len(reply) < 2:
        return await _ticket_panel(
            request,
            session,
            number,
            problems=["请填写答复内容（至少 2 个字）"],
            status=422,
            form={"reply_error": "请填写答复内容"},
        )
    try:
        await service.answer_ticket(_calls(request, session), number, reply, comment)
    except UpstreamError as exc:
        return await _ticket_panel(
            request,
            session,
            number,
            problems=[problem_text(exc)],
            status=problem_status(exc),
            form={"reply": reply},
        )
    return await _ticket_panel(request, session, number, notice="已答复，诉求人将收到答复内容")


@router.post("/tickets/{number}/reveal", response_class=HTMLResponse)
async def reveal_phone(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    if len(reason) < 2:
        return await _ticket_panel(
            request,
            session,
            number,
            problems=["查看手机号须填写事由（记入审计）"],
            status=422,
            form={"reason_error": "请填写事由"},
        )
    try:
        revealed = await service.reveal_phone(_calls(request, session), number, reason)
    except UpstreamError as exc:
        return await _ticket_panel(
            request, session, number, problems=[problem_text(exc)], status=problem_status(exc)
        )
    return await _ticket_panel(request, session, number, revealed=revealed, notice="已记录查看事由（审计）")


async def _ticket_action(
    request: Request,
    session: SignedIn,
    number: str,
    action: Any,
    *,
    notice: str,
    form: dict[str, str],
) -> HTMLResponse:
    """Run one upstream action; its refusal (403 / 409 / 422) is shown in the ticket's panel with the form kept."""
    try:
        await action
    except UpstreamError as exc:
        return await _ticket_panel(
            request, session, number, problems=[problem_text(exc)], status=problem_status(exc), form=form
        )
    return await _ticket_panel(request, session, number, notice=notice)


@router.post("/tickets/{number}/transfer", response_class=HTMLResponse)
async def transfer_ticket(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    form = await request.form()
    department = str(form.get("department") or "").strip()
    reason = str(form.get("transfer_reason") or "").strip()
    errors: dict[str, str] = {}
    if not department:
        errors["department_error"] = "请选择转入部门"
    if len(reason) < 2:
        errors["transfer_reason_error"] = "请填写转办原因（至少 2 个字）"
    kept = {"transfer_department": department, "transfer_reason": reason}
    if errors:
        return await _ticket_panel(
            request, session, number, problems=list(errors.values()), status=422, form={**kept, **errors}
        )
    try:
        await service.transfer_ticket(_calls(request, session), number, department, reason)
    except UpstreamError as exc:
        return await _ticket_panel(
            request, session, number, problems=[problem_text(exc)], status=problem_status(exc), form=kept
        )
    # The ticket now belongs to the other department: this officer's view of it ends here.
    template = "console/_ticket_panel.html" if _is_htmx(request) else "console/ticket.html"
    return await _page(
        request,
        session,
        template,
        ticket=None,
        number=number,
        notice=f"已转办至{department}，工单 {number} 已移出本部门队列",
    )


@router.post("/tickets/{number}/parts", response_class=HTMLResponse)
async def invite_co_handler(request: Request, session: OfficerDesk, number: str) -> HTMLResponse:
    form = await request.form()
    department = str(form.get("department") or "").strip()
    task = str(form.get("task") or "").strip()
    errors: dict[str, str] = {}
    if not department:
        errors["invite_department_error"] = "请选择协办部门"
    if len(task) < 2:
        errors["task_error"] = "请写明协办部门负责的部分（至少 2 个字）"
    kept = {"invite_department": department, "task": task}
    if errors:
        return await _ticket_panel(
            request, session, number, problems=list(errors.values()), status=422, form={**kept, **errors}
        )
    call = service.invite_co_handler(_calls(request, session), number, department, task)
    return await _ticket_action(request, session, number, call, notice=f"已邀请{department}协办", form=kept)


@router.post("/tickets/{number}/parts/{department}/answer", response_class=HTMLResponse)
async def answer_part(request: Request, session: OfficerDesk, number: str, department: str) -> HTMLResponse:
    form = await request.form()
    answer = str(form.get("part_answer") or "").strip()
    if not answer:
        return await _ticket_panel(
            request,
            session,
            number,
            problems=["请填写本部门负责部分的答复"],
            status=422,
            form={"part_answer_error": "请填写答复"},
        )
    call = service.answer_part(_calls(request, session), number, department, answer)
    return await _ticket_action(
        request,
        session,
        number,
        call,
        notice=f"已答复{department}负责的部分",
        form={"part_answer": answer},
    )


# --- reviewer / approver: applications ---------------------------------------------------------------------------


@router.get("/applications", response_class=HTMLResponse)
async def applications(
    request: Request,
    session: OfficerReviewerOrApproverDesk,
    status: str | None = None,
    policy_code: str | None = None,
    department: str | None = None,
) -> HTMLResponse:
    template = "console/_applications_list.html" if _is_htmx(request) else "console/applications.html"
    try:
        queue = await service.application_queue(
            _calls(request, session),
            _names(request),
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
        return await _page(
            request, session, template, status=code, statuses=service.APPLICATION_STATUS, **ctx
        )
    return await _page(
        request, session, template, queue=queue, filters=queue.filters, statuses=service.APPLICATION_STATUS
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
    template = "console/_application_panel.html" if _is_htmx(request) else "console/application.html"
    try:
        detail = await service.application_detail(
            _calls(request, session), _names(request), str(application_id)
        )
    except UpstreamError as exc:
        return await _page(
            request,
            session,
            template,
            status=problem_status(exc),
            app=None,
            app_id=str(application_id),
            problems=[*(problems or []), problem_text(exc)],
        )
    return await _page(
        request,
        session,
        template,
        status=status,
        app=detail,
        app_id=str(application_id),
        notice=notice,
        problems=problems or [],
        form=form or {},
        step_titles=service.APPLICATION_STATUS,
    )


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
    calls = _calls(request, session)
    try:
        detail = await service.application_detail(calls, _names(request), str(application_id))
        confirmed = {k[len("confirm:") :]: True for k in form if k.startswith("confirm:")}
        notes = {k[len("note:") :]: str(v) for k, v in form.items() if k.startswith("note:")}
        comment = service.confirmation_comment(
            detail.manual, confirmed, notes, str(form.get("comment") or "")
        )
        await service.advance_application(calls, str(application_id), to_status, comment)
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
    title = service.APPLICATION_STATUS.get(to_status, to_status)
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
    try:
        await service.return_application(
            _calls(request, session), str(application_id), missing, str(form.get("comment") or "")
        )
    except UpstreamError as exc:
        return await _application_panel(
            request,
            session,
            application_id,
            problems=[problem_text(exc)],
            status=problem_status(exc),
            form={"missing": form.get("missing")},
        )
    return await _application_panel(
        request, session, application_id, notice="已退回补正，申请人将看到需补正的清单"
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
    try:
        await service.reject_application(_calls(request, session), str(application_id), reason)
    except UpstreamError as exc:
        return await _application_panel(
            request, session, application_id, problems=[problem_text(exc)], status=problem_status(exc)
        )
    return await _application_panel(request, session, application_id, notice="已作出不予通过决定")


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
    try:
        await service.record_objection(_calls(request, session), str(application_id), objector, content)
    except UpstreamError as exc:
        return await _application_panel(
            request,
            session,
            application_id,
            problems=[problem_text(exc)],
            status=problem_status(exc),
            form={"objector": objector, "content": content},
        )
    return await _application_panel(request, session, application_id, notice="已登记公示期异议")


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
        return await _page(request, session, "console/error.html", status=503, problems=[problem_text(exc)])
    if status != 200:
        return await _page(
            request,
            session,
            "console/error.html",
            status=status,
            problems=["材料无法打开：" + raw.decode(errors="replace")[:300]],
        )
    # The upstream answer's headers are not passed along by Upstreams.call: guess inline types from the bytes.
    media = (
        "application/pdf"
        if raw.startswith(b"%PDF")
        else "image/png"
        if raw.startswith(b"\x89PNG")
        else "image/jpeg"
        if raw.startswith(b"\xff\xd8")
        else "application/octet-stream"
    )
    disposition = "inline" if media != "application/octet-stream" else "attachment"
    return Response(
        raw,
        media_type=media,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(str(attachment_id))}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --- finance, broker, admin --------------------------------------------------------------------------------------


async def _finance_page(
    request: Request,
    session: SignedIn,
    status: str = "pending_approval",
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "statuses": service.DISBURSEMENT_STATUS,
        "notice": notice,
        "form": form or {},
        "form_key": uuid.uuid4().hex,
        "can_top_up": "finance" in session.roles or "admin" in session.roles,
        "can_decide": "approver" in session.roles or "admin" in session.roles,
    }
    return await _view_page(
        request,
        session,
        "console/finance.html",
        service.finance_view(
            _calls(request, session),
            _names(request),
            status=status,
            roles=list(session.roles),
            department=session.department,
        ),
        code=code,
        problems=problems,
        filters={"status": status},
        from_view=lambda view: {"filters": view.filters},
        **ctx,
    )


@router.get("/finance", response_class=HTMLResponse)
async def finance(
    request: Request, session: FinanceOrApproverDesk, status: str = "pending_approval"
) -> HTMLResponse:
    return await _finance_page(request, session, status)


@router.post("/finance/budgets", response_class=HTMLResponse)
async def top_up(request: Request, session: FinanceOrApproverDesk) -> HTMLResponse:
    """A budget top-up (finance of the policy's department); the form's key makes a double submit one top-up."""
    form = await request.form()
    policy_code = str(form.get("policy_code") or "").strip()
    amount_text = str(form.get("amount") or "")
    try:
        fiscal_year = int(str(form.get("fiscal_year") or "0"))
        amount_fen = service.fen_from_yuan(amount_text, field="amount")
        result = await service.top_up_budget(
            _calls(request, session),
            policy_code=policy_code,
            fiscal_year=fiscal_year,
            amount_fen=amount_fen,
            memo=str(form.get("memo") or "").strip() or None,
            key=str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except ValueError:
        return await _finance_page(
            request,
            session,
            problems=["年度须为数字，如 2025"],
            code=422,
            form={"policy_code": policy_code, "amount": amount_text},
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _finance_page(
            request,
            session,
            problems=[problem_text(exc)],
            code=code,
            form={"policy_code": policy_code, "amount": amount_text, "fiscal_year": form.get("fiscal_year")},
        )
    resumed = int(result.get("resumed_disbursements") or 0)
    note = f"已拨入预算 {service.yuan(amount_fen)}" + (
        f"，{resumed} 笔待预算的拨付已继续办理" if resumed else ""
    )
    return await _finance_page(request, session, notice=note)


@router.post("/finance/reconciliation", response_class=HTMLResponse)
async def reconcile(request: Request, session: FinanceOrApproverDesk) -> HTMLResponse:
    """One day's bank statement against the ledger, started by finance; the run and its differences then show on
    the page (svc-disbursement refuses anyone without the finance role)."""
    form = await request.form()
    day = str(form.get("date") or "")
    try:
        report = await service.run_reconciliation(_calls(request, session), day)
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _finance_page(
            request, session, problems=[problem_text(exc)], code=code, form={"date": day}
        )
    differences = sum(
        int(report.get(k) or 0) for k in ("missing_in_ledger", "missing_in_bank", "amount_mismatch")
    )
    note = f"{report['statement_date']} 对账完成：相符 {report['matched']} 笔，" + (
        f"差异 {differences} 笔，见下方对账记录" if differences else "无差异"
    )
    return await _finance_page(request, session, notice=note)


@router.post("/finance/disbursements/{disbursement_id}/{action}", response_class=HTMLResponse)
async def decide(
    request: Request, session: FinanceOrApproverDesk, disbursement_id: uuid.UUID, action: str
) -> HTMLResponse:
    """Approve or reject a disbursement awaiting approval, or reissue a failed payment (the policy's department)."""
    form = await request.form()
    status = str(form.get("status") or "pending_approval")
    if action not in ("approve", "reject", "reissue"):
        return await _finance_page(request, session, status, problems=["未知的操作"], code=404)
    text = str(form.get("text") or "").strip() or None
    if action != "approve" and not text:
        what = "驳回理由" if action == "reject" else "重新支付的原因"
        return await _finance_page(request, session, status, problems=[f"请填写{what}"], code=422)
    try:
        await service.decide_disbursement(
            _calls(request, session),
            str(disbursement_id),
            action,
            text,
            str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except UpstreamError as exc:
        return await _finance_page(
            request, session, status, problems=[problem_text(exc)], code=problem_status(exc)
        )
    done = {"approve": "已审批通过，预算已预留并发起支付", "reject": "已驳回", "reissue": "已重新发起支付"}[
        action
    ]
    return await _finance_page(request, session, status, notice=done)


async def _broker_page(
    request: Request,
    session: SignedIn,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {"notice": notice, "is_broker": "broker" in session.roles}
    return await _view_page(
        request,
        session,
        "console/broker.html",
        service.broker_view(_calls(request, session), _names(request), is_broker="broker" in session.roles),
        code=code,
        problems=problems,
        **ctx,
    )


@router.get("/broker", response_class=HTMLResponse)
async def broker(request: Request, session: BrokerOrOfficerDesk) -> HTMLResponse:
    return await _broker_page(request, session)


@router.post("/broker/demands/{demand_id}/stage", response_class=HTMLResponse)
async def broker_stage(request: Request, session: BrokerOrOfficerDesk, demand_id: uuid.UUID) -> HTMLResponse:
    """The broker records the next stage of a demand it holds (推荐对接 → 洽谈 → 签约 → 技术合同登记 → 成交); svc-matching
    checks the order, the holder and the contract number."""
    form = await request.form()
    stage = str(form.get("stage") or "")
    try:
        recorded = await service.record_stage(
            _calls(request, session),
            str(demand_id),
            stage,
            note=str(form.get("note") or "").strip() or None,
            contract_number=str(form.get("contract_number") or "").strip() or None,
            contract_amount=str(form.get("contract_amount") or "").strip() or None,
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _broker_page(request, session, problems=[problem_text(exc)], code=code)
    return await _broker_page(request, session, notice=f"已记录：{recorded.get('stage_label') or stage}")


@router.post("/broker/demands/{demand_id}/{action}", response_class=HTMLResponse)
async def claim_or_release(
    request: Request, session: BrokerOrOfficerDesk, demand_id: uuid.UUID, action: str
) -> HTMLResponse:
    if action not in ("claim", "release"):
        return await _broker_page(request, session, problems=["未知的操作"], code=404)
    form = await request.form()
    try:
        await service.claim_or_release(
            _calls(request, session), str(demand_id), action, str(form.get("note") or "").strip() or None
        )
    except UpstreamError as exc:
        return await _broker_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _broker_page(
        request, session, notice="已认领" if action == "claim" else "已释放，需求回到待分配队列"
    )


# --- the policy catalog as a sheet (officers of the department, admins) ------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATALOG_MAX_BYTES = 10 * 1024 * 1024


async def _catalog_page(
    request: Request,
    session: SignedIn,
    *,
    report: dict[str, Any] | None = None,
    row_errors: list[dict[str, Any]] | None = None,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    import_job: dict[str, Any] | None = None,
) -> HTMLResponse:
    drafts = await _calls(request, session).section(
        "policy", "GET", "/api/v1/policies", params={"status": "draft", "limit": 100}
    )
    pending = [*(report or {}).get("created", []), *(report or {}).get("drafted", [])]
    return await _page(
        request,
        session,
        "console/catalog.html",
        status=code,
        report=report,
        row_errors=row_errors or [],
        pending=pending if report and report.get("written") else [],
        drafts=drafts,
        notice=notice,
        problems=problems or [],
        today=local_today().isoformat(),
        form_key=uuid.uuid4().hex,
        import_job=import_job,
    )


@router.get("/catalog", response_class=HTMLResponse)
async def catalog(request: Request, session: CatalogDesk) -> HTMLResponse:
    return await _catalog_page(request, session)


@router.get("/catalog/export.xlsx")
async def catalog_export(request: Request, session: CatalogDesk) -> Response:
    """The department's catalog (an admin's: all of it) as the sheet the import takes back."""
    try:
        content = await _calls(request, session).download(
            "policy", "/api/v1/policy-catalog/export", params={"format": "xlsx"}
        )
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="policy-catalog.xlsx"'},
    )


@router.post("/catalog/import", response_class=HTMLResponse, response_model=None)
async def catalog_import(request: Request, session: CatalogDesk) -> Response:
    """Check a sheet (dry run: the report at once, every bad row listed by row and column), or queue its import:
    svc-policy answers 202 with a background job, and the officer follows it on the import's page."""
    form = await request.form()
    upload = form.get("file")
    dry_run = form.get("dry_run") is not None
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _catalog_page(
            request, session, problems=["请选择要导入的表格文件（XLSX 或 CSV）"], code=422
        )
    content = await upload.read(CATALOG_MAX_BYTES + 1)
    if len(content) > CATALOG_MAX_BYTES:
        return await _catalog_page(request, session, problems=["表格超过 10 MB"], code=413)
    body, content_type = multipart_body(
        "file",
        upload.filename,
        upload.content_type or "application/octet-stream",
        content,
        fields={"dry_run": "true" if dry_run else "false"},
    )
    try:
        report = await _calls(request, session).call(
            "policy",
            "POST",
            "/api/v1/policy-catalog/imports",
            body=body,
            content_type=content_type,
            timeout_s=60.0,
        )
    except UpstreamError as exc:
        return await _catalog_refused(request, session, exc.body, problem_text(exc), problem_status(exc))
    if report.get("kind") == "catalog_import":
        return RedirectResponse(f"/console/catalog/imports/{report['id']}", status_code=303)
    return await _catalog_report(request, session, report)


async def _catalog_refused(
    request: Request, session: SignedIn, problem: Any, text: str, status: int
) -> HTMLResponse:
    """A refused sheet: the problem's row report on the page."""
    detail = problem if isinstance(problem, dict) else {}
    rows = [e for e in detail.get("errors") or [] if isinstance(e, dict) and "row" in e]
    return await _catalog_page(
        request, session, row_errors=rows, problems=[str(detail.get("detail") or text)], code=status
    )


async def _catalog_report(
    request: Request, session: SignedIn, report: dict[str, Any], import_job: dict[str, Any] | None = None
) -> HTMLResponse:
    row_errors = [{**e, "message": e.get("reason")} for e in report.get("errors") or []]
    if row_errors:
        return await _catalog_page(
            request,
            session,
            report=report,
            row_errors=row_errors,
            problems=[f"表格有 {len(row_errors)} 处问题（试导入，未写入），请修改后重新上传"],
            code=422,
        )
    if report.get("written"):
        notice = (
            f"已导入：新建 {len(report['created'])} 项、新草稿版本 {len(report['drafted'])} 项、"
            f"目录信息更新 {len(report['catalog_updated'])} 项、未变 {report['unchanged']} 项。草稿须发布后才生效。"
        )
    else:
        notice = (
            f"校验通过（未写入）：将新建 {len(report['created'])} 项、新草稿版本 {len(report['drafted'])} 项、"
            f"目录信息更新 {len(report['catalog_updated'])} 项、未变 {report['unchanged']} 项。"
        )
    return await _catalog_page(request, session, report=report, notice=notice, import_job=import_job)


@router.get("/catalog/imports/{job_id}", response_class=HTMLResponse)
async def catalog_import_job(request: Request, session: CatalogDesk, job_id: uuid.UUID) -> HTMLResponse:
    """An import's page: its progress while it runs (the panel reloads itself), then its report — the drafts to
    publish, or every bad row when the sheet was refused (nothing written)."""
    try:
        job = await _calls(request, session).call("policy", "GET", f"/api/v1/jobs/{job_id}")
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    result = job.get("result") or {}
    if job["status"] == "failed" and isinstance(result.get("problem"), dict):
        problem = result["problem"]
        return await _catalog_refused(request, session, problem, str(problem.get("detail")), 422)
    if job["status"] == "succeeded" and result:
        return await _catalog_report(request, session, result, import_job=job)
    notice = None
    if job["status"] == "cancelled":
        notice = f"导入已取消：已写入的 {job['done']} 行草稿保留（草稿须发布后才生效），其余未写入"
    problems = [f"导入失败：{job.get('error') or ''}"] if job["status"] == "failed" else None
    return await _catalog_page(request, session, notice=notice, problems=problems, import_job=job)


@router.post("/catalog/imports/{job_id}/cancel", response_class=HTMLResponse)
async def catalog_import_cancel(request: Request, session: CatalogDesk, job_id: uuid.UUID) -> HTMLResponse:
    try:
        job = await _calls(request, session).call("policy", "POST", f"/api/v1/jobs/{job_id}/cancel")
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _catalog_page(
        request,
        session,
        notice=f"导入已取消：已写入的 {job['done']} 行草稿保留（草稿须发布后才生效），其余未写入",
        import_job=job,
    )


@router.post("/catalog/{code}/publish", response_class=HTMLResponse)
async def catalog_publish(request: Request, session: CatalogDesk, code: str) -> HTMLResponse:
    """Publish a draft with its effective date (the service checks the department and the date)."""
    form = await request.form()
    effective_from = str(form.get("effective_from") or "").strip()
    try:
        version = await _calls(request, session).call(
            "policy",
            "POST",
            f"/api/v1/policies/{quote(code, safe='')}/publish",
            json={"effective_from": effective_from},
            idempotency_key=str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except UpstreamError as exc:
        return await _catalog_page(
            request, session, problems=[f"{code}：{problem_text(exc)}"], code=problem_status(exc)
        )
    return await _catalog_page(
        request,
        session,
        notice=f"已发布 {code} 第 {version.get('version')} 版，自 {version.get('effective_from')} 起生效",
    )


@router.get("/overview", response_class=HTMLResponse)
async def overview(request: Request, session: AdminDesk) -> HTMLResponse:
    data = await service.overview(_calls(request, session), _names(request))
    return await _page(request, session, "console/overview.html", data=data)


# --- the leaders' cockpit (指标驾驶舱) and the annual monitoring report ------------------------------------------------


async def _cockpit_page(
    request: Request,
    session: SignedIn,
    *,
    problems: list[str] | None = None,
    code: int = 200,
    period: cockpit.Period | None = None,
) -> HTMLResponse:
    try:
        data = await cockpit.cockpit(_calls(request, session), period or cockpit.Period(local_today().year))
    except UpstreamError as exc:
        return await _page(
            request,
            session,
            "console/cockpit.html",
            data=None,
            problems=[problem_text(exc)],
            status=problem_status(exc),
        )
    return await _page(
        request, session, "console/cockpit.html", data=data, problems=problems or [], status=code
    )


@router.get("/cockpit", response_class=HTMLResponse)
async def cockpit_page(
    request: Request, session: CockpitDesk, year: str | None = None, quarter: str | None = None
) -> HTMLResponse:
    """The cockpit; ``year`` and ``quarter`` choose the period of the money charts (this year by default)."""
    period, problem = cockpit.period_of(year, quarter, local_today())
    return await _cockpit_page(
        request, session, period=period, problems=[problem] if problem else None, code=422 if problem else 200
    )


def _report_year(year: int | None) -> int:
    return year or local_today().year


@router.get("/cockpit/annual", response_class=HTMLResponse)
async def annual_report_page(request: Request, session: CockpitDesk, year: int | None = None) -> HTMLResponse:
    """年度监测分析, a printable page (the browser's print prints it without the console's chrome)."""
    try:
        report = await cockpit.annual(_calls(request, session), _report_year(year))
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _page(request, session, "console/cockpit_annual.html", report=report)


@router.get("/cockpit/annual.xlsx")
async def annual_report_xlsx(request: Request, session: CockpitDesk, year: int | None = None) -> Response:
    chosen = _report_year(year)
    try:
        content = await _calls(request, session).download(
            "talent", f"/api/v1/indicators/annual-reports/{chosen}/xlsx"
        )
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="indicators-{chosen}.xlsx"'},
    )


async def _indicator_page(
    request: Request,
    session: SignedIn,
    code: str,
    *,
    problems: list[str] | None = None,
    notice: str | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    try:
        detail = await cockpit.indicator(_calls(request, session), code)
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    today = local_today()
    return await _page(
        request,
        session,
        "console/cockpit_indicator.html",
        status=status,
        d=detail,
        problems=problems or [],
        notice=notice,
        units=cockpit.UNITS,
        may_report=service.may_open("indicator_reports", list(session.roles)),
        form=form or {"quarter": f"{today.year}Q{(today.month - 1) // 3 + 1}", "unit": detail.get("unit")},
    )


@router.get("/cockpit/{code}", response_class=HTMLResponse)
async def indicator_page(request: Request, session: CockpitDesk, code: str) -> HTMLResponse:
    return await _indicator_page(request, session, code)


@router.post("/cockpit/{code}/reports", response_class=HTMLResponse)
async def report_indicator(request: Request, session: IndicatorReporterDesk, code: str) -> HTMLResponse:
    """A department's quarter value; svc-talent checks the department, the unit, the range and the quarter."""
    form = await request.form()
    entered = {k: str(form.get(k) or "").strip() for k in ("quarter", "value", "unit", "note")}
    try:
        value = float(entered["value"])
    except ValueError:
        return await _indicator_page(
            request, session, code, problems=["报送值须为数字（value）"], status=422, form=entered
        )
    try:
        made = await _calls(request, session).call(
            "talent",
            "POST",
            f"/api/v1/indicators/{quote(code, safe='')}/reports",
            json={
                "quarter": entered["quarter"],
                "value": value,
                "unit": entered["unit"],
                "note": entered["note"],
            },
        )
    except UpstreamError as exc:
        return await _indicator_page(
            request, session, code, problems=[problem_text(exc)], status=problem_status(exc), form=entered
        )
    note = f"已报送 {made['quarter']} 第 {made['revision']} 版，待本部门另一人审核"
    return await _indicator_page(request, session, code, notice=note)


@router.post("/cockpit/{code}/reports/{report_id}/approve", response_class=HTMLResponse)
async def approve_indicator_report(
    request: Request, session: IndicatorReporterDesk, code: str, report_id: uuid.UUID
) -> HTMLResponse:
    try:
        done = await _calls(request, session).call(
            "talent", "POST", f"/api/v1/indicators/{quote(code, safe='')}/reports/{report_id}/approve"
        )
    except UpstreamError as exc:
        return await _indicator_page(
            request, session, code, problems=[problem_text(exc)], status=problem_status(exc)
        )
    return await _indicator_page(
        request, session, code, notice=f"已审核 {done['quarter']} 第 {done['revision']} 版"
    )


# --- the public 公示 page -----------------------------------------------------------------------------------------

public_router = APIRouter(tags=["公示"], include_in_schema=False)


@public_router.get("/public-notice", response_class=HTMLResponse)
async def public_notice_page(request: Request) -> HTMLResponse:
    """Applications under 公示 (public notice), readable by anyone, with the channel for objections."""
    reader = PageCalls.as_service(request, "gateway-public-notice", "公示页面", scopes=["disbursement:read"])
    names_reader = PageCalls.as_service(request, "gateway-public-notice", "公示页面")
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        rows = await service.public_notice(_Split(reader, names_reader), _names(request))
    except UpstreamError as exc:
        problems = [f"公示名单暂不可用，请稍后再试（{problem_text(exc)}）"]
    return await render(
        request, "console/public_notice.html", rows=rows, problems=problems, session=None, csrf_token=""
    )


class _Split:
    """The public page reads applications as a read-only partner-like identity and everything else (catalog,
    registry names) as the gateway's page service."""

    def __init__(self, applications: PageCalls, others: PageCalls) -> None:
        self.applications, self.others = applications, others

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        target = self.applications if service == "disbursement" else self.others
        return await target.call(
            service, method, path, json=json, params=params, idempotency_key=idempotency_key
        )


# --- wiring ------------------------------------------------------------------------------------------------------


async def _console_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    if not wants_html(request):
        return exc_to_problem(request, exc)
    return await render(
        request,
        "web/refused.html",
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        back="/console",
    )


def install_console(app: FastAPI) -> None:
    """The console's own 403 page (a staff member opening another role's queue)."""
    app.add_exception_handler(ConsoleRoleRequired, _console_refused)


# --- officer, reviewer, approver: activities -----------------------------------------------------------------------


@router.get("/activities", response_class=HTMLResponse)
async def activities(request: Request, session: ActivityDesk) -> HTMLResponse:
    listed = await _calls(request, session).section(
        "talent", "GET", "/api/v1/activities", params={"limit": 200}
    )
    admin = "admin" in session.roles
    mine = [a for a in listed.items if admin or a.get("department") == session.department]
    problems = [] if listed.ok else ["活动服务暂不可用，请稍后再试"]
    return await _page(
        request,
        session,
        "console/activities.html",
        listed=mine,
        problems=problems,
        status=200 if listed.ok else 503,
    )


@router.get("/service-lists.xlsx")
async def service_lists_xlsx(
    request: Request,
    session: ActivityDesk,
    campaign: Annotated[str | None, Query(max_length=40)] = None,
    district: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The three lists (服务—需求—对策) as one workbook, for a campaign or a 区镇 (svc-talent's export)."""
    params = {k: v for k, v in (("campaign", campaign), ("district", district)) if v}
    try:
        content = await _calls(request, session).download(
            "talent", "/api/v1/service-lists/export.xlsx", params=params
        )
    except UpstreamError as exc:
        return await _page(
            request, session, "console/activities.html", listed=[], problems=[problem_text(exc)],
            status=problem_status(exc),
        )  # fmt: skip
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="service-lists.xlsx"'},
    )


async def _activity_page(
    request: Request,
    session: SignedIn,
    activity_id: uuid.UUID,
    *,
    status: int = 200,
    notice: str | None = None,
    problems: list[str] | None = None,
    lead_form: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The activity's page (registrations, counts, the door's QR, the leads and their forms); after a lead's form
    only its section (``#leads``) when htmx asked."""
    calls = _calls(request, session)
    template = "console/_leads.html" if _is_htmx(request) else "console/activity.html"
    try:
        found, activity = await asyncio.gather(
            calls.call("talent", "GET", f"/api/v1/activities/{activity_id}/registrations"),
            calls.call("talent", "GET", f"/api/v1/activities/{activity_id}"),
        )
    except UpstreamError as exc:
        # The activity itself is refused or unreachable: its words, and no lead forms (htmx swaps #leads alone).
        return await _page(
            request, session, template, status=problem_status(exc), page=None, activity=None, leads=None,
            leads_problem=None, may_write=False, started=False, lead_form={}, notice=None,
            problems=[*(problems or []), problem_text(exc)],
        )  # fmt: skip
    may_write = "officer" in session.roles or "admin" in session.roles
    leads_view = None
    leads_problem = None
    try:
        listed = await calls.call("talent", "GET", f"/api/v1/activities/{activity_id}/leads")
        leads_view = await console_leads.view(
            calls, _names(request), listed, found, industry_chain=activity.get("industry_chain")
        )
    except UpstreamError as exc:
        leads_problem = f"现场线索暂不可用：{problem_text(exc)}"
    try:
        started = datetime.fromisoformat(str(activity.get("starts_at"))) <= utc_now()
    except (TypeError, ValueError):
        started = True  # the service decides (409 activity_not_started, shown on the page)
    context: dict[str, Any] = {
        "page": found,
        "activity": activity,
        "leads": leads_view,
        "leads_problem": leads_problem,
        "may_write": may_write,
        "started": started,
        "lead_form": lead_form or {},
        "notice": notice,
        "problems": problems or [],
    }
    if template == "console/activity.html":
        qr_url = qr_svg = None
        if may_write:
            try:
                issued = await calls.call("talent", "POST", f"/api/v1/activities/{activity_id}/check-in-code")
            except UpstreamError:
                issued = None
            if isinstance(issued, dict) and issued.get("code"):
                base = request.app.state.settings.public_base_url.rstrip("/")
                qr_url = (
                    f"{base}/m/activities/{activity_id}/check-in?code={quote(str(issued['code']), safe='')}"
                )
                qr_svg = Markup(qr_image_svg(qr_url).decode().split("?>", 1)[-1])
        context |= {"qr_url": qr_url, "qr_svg": qr_svg}
    return await _page(request, session, template, status=status, **context)


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
async def activity_registrations(
    request: Request, session: ActivityDesk, activity_id: uuid.UUID
) -> HTMLResponse:
    return await _activity_page(request, session, activity_id)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/activities/{activity_id}/leads", response_class=HTMLResponse)
async def record_lead(request: Request, session: ActivityDesk, activity_id: uuid.UUID) -> HTMLResponse:
    """Record a lead heard at the session (the host department's officer; svc-talent checks who and when)."""
    form = await _form(request)
    body, errors = console_leads.record_body(form)
    kept = {"record": form}
    if errors:
        return await _activity_page(
            request, session, activity_id, status=422, problems=["请更正标出的项目后再登记"],
            lead_form={**kept, "record_errors": errors},
        )  # fmt: skip
    try:
        await _calls(request, session).call(
            "talent", "POST", f"/api/v1/activities/{activity_id}/leads", json=body
        )
    except UpstreamError as exc:
        placed = console_leads.problem_fields(exc.body, console_leads.RECORD_FIELDS)
        if "uscc" in placed and "uscc" in body and not form.get("uscc"):
            placed["attendee"] = placed.pop("uscc")
        return await _activity_page(
            request, session, activity_id, status=problem_status(exc),
            problems=[] if placed else [problem_text(exc)],
            lead_form={**kept, "record_errors": placed},
        )  # fmt: skip
    label = console_leads.KINDS.get(str(body.get("kind")), "")
    return await _activity_page(request, session, activity_id, notice=f"已登记{label}线索")


@router.post("/activities/{activity_id}/leads/{lead_id}/conversion", response_class=HTMLResponse)
async def convert_lead(
    request: Request, session: ActivityDesk, activity_id: uuid.UUID, lead_id: uuid.UUID
) -> HTMLResponse:
    """Turn a need into a service ticket or a technology demand (once; svc-talent decides)."""
    form = await _form(request)
    body, errors = console_leads.conversion_body(form)
    kept = {"lead": str(lead_id), "convert": form}
    if errors:
        return await _activity_page(
            request, session, activity_id, status=422, problems=["请更正标出的项目后再转化"],
            lead_form={**kept, "convert_errors": errors},
        )  # fmt: skip
    try:
        done = await _calls(request, session).call(
            "talent", "POST", f"/api/v1/activities/{activity_id}/leads/{lead_id}/conversion", json=body
        )
    except UpstreamError as exc:
        placed = console_leads.problem_fields(exc.body, console_leads.CONVERT_FIELDS)
        return await _activity_page(
            request, session, activity_id, status=problem_status(exc),
            problems=[] if placed else [problem_text(exc)],
            lead_form={**kept, "convert_errors": placed},
        )  # fmt: skip
    if body["to"] == "ticket":
        notice = f"已转为服务工单 {done.get('ticket_number') if isinstance(done, dict) else ''}，按诉求类型分派承办部门"
    else:
        notice = "已转为技术需求，科技服务平台受理后显示需求编号"
    return await _activity_page(request, session, activity_id, notice=notice)


# --- 科创平台 (svc-talent's platform records) ------------------------------------------------------------------------


@router.get("/platforms", response_class=HTMLResponse)
async def platforms(request: Request, session: PlatformDesk, kind: str | None = None) -> HTMLResponse:
    """Platforms with their host company, level, expiry and last yearly review; a filter by kind."""
    chosen = (kind or "").strip() or None
    problems: list[str] = []
    status = 200
    listed: list[dict[str, Any]] = []
    try:
        found = await _calls(request, session).call(
            "talent", "GET", "/api/v1/platforms", params={"kind": chosen} if chosen else None
        )
        listed = list(found.get("items") or []) if isinstance(found, dict) else []
    except UpstreamError as exc:
        problems = [problem_text(exc)]
        status = exc.status if exc.status and 400 <= exc.status < 500 else 503
    return await _page(
        request,
        session,
        "console/platforms.html",
        status=status,
        listed=listed,
        problems=problems,
        kinds=[(t.code, t.name) for t in TAXONOMY.platform_kinds],
        chosen=chosen,
    )


# --- 免申即享 runs and background jobs ------------------------------------------------------------------------------


async def _runs_page(
    request: Request,
    session: SignedIn,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    partial = _is_htmx(request) and request.method == "GET"
    template = "console/_jobs_list.html" if partial else "console/runs.html"
    return await _view_page(
        request,
        session,
        template,
        service.jobs_view(_calls(request, session)),
        code=code,
        problems=problems,
        notice=notice,
        form=form or {},
        form_key=uuid.uuid4().hex,
    )


@router.get("/runs", response_class=HTMLResponse)
async def runs(request: Request, session: RunsDesk) -> HTMLResponse:
    return await _runs_page(request, session)


@router.post("/runs", response_class=HTMLResponse)
async def start_run(request: Request, session: RunsDesk) -> HTMLResponse:
    """Queue a 免申即享 run; its progress then shows (and refreshes) on the page."""
    form = await request.form()
    day = str(form.get("evaluation_date") or "")
    try:
        run = await service.start_entitlement_run(
            _calls(request, session), day, str(form.get("idempotency_key") or uuid.uuid4().hex)
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _runs_page(
            request, session, problems=[problem_text(exc)], code=code, form={"evaluation_date": day}
        )
    period = run.get("period") or ""
    note = (
        f"已排入后台任务：{period} 期间的免申即享全量批次"
        if run.get("created")
        else f"{period} 期间在当前目录下已有批次，下面是它的进度（同一期间不会重复兑现）"
    )
    return await _runs_page(request, session, notice=note)


@router.post("/runs/{job_id}/cancel", response_class=HTMLResponse)
async def cancel_run(request: Request, session: RunsDesk, job_id: uuid.UUID) -> HTMLResponse:
    try:
        await service.cancel_job(_calls(request, session), str(job_id))
    except UpstreamError as exc:
        return await _runs_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _runs_page(request, session, notice="已取消：已提交的分块保留，其余不再继续")


# --- partner app keys (admins) -----------------------------------------------------------------------------------


async def _partners_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    issued: partner_service.IssuedSecret | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    keys = await partner_service.list_keys(db)
    response = await _page(
        request,
        session,
        "console/partners.html",
        status=code,
        keys=keys,
        scopes=partner_service.SCOPE_TITLES,
        issued=issued,
        notice=notice,
        problems=problems or [],
        form=form or {},
        default_rate=request.app.state.settings.default_partner_rate,
    )
    # a secret is shown once: never kept by a cache or the browser's history
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/partners", response_class=HTMLResponse)
async def partners(request: Request, session: AdminDesk, db: SessionDep) -> HTMLResponse:
    return await _partners_page(request, session, db)


@router.post("/partners", response_class=HTMLResponse)
async def create_partner_key(request: Request, session: AdminDesk, db: SessionDep) -> HTMLResponse:
    """A new partner app key; its secret is shown on this page once."""
    form = await request.form()
    name = str(form.get("name") or "").strip()
    scopes = [str(s) for s in form.getlist("scopes")]
    rate = str(form.get("rate") or "").strip() or request.app.state.settings.default_partner_rate
    kept = {"name": name, "scopes": scopes, "rate": rate}
    if not name:
        return await _partners_page(request, session, db, problems=["请填写合作方名称"], code=422, form=kept)
    try:
        async with db.begin_nested():
            issued = await partner_service.create_key(
                db, request.app.state.settings.field_cipher(), name=name, scopes=scopes, rate=rate
            )
    except ProblemError as exc:
        return await _partners_page(
            request, session, db, problems=[problem_text(exc)], code=exc.status, form=kept
        )
    return await _partners_page(request, session, db, notice=f"已为“{name}”创建 AppKey", issued=issued)


@router.post("/partners/{app_key}/{action}", response_class=HTMLResponse)
async def change_partner_key(
    request: Request, session: AdminDesk, db: SessionDep, app_key: str, action: str
) -> HTMLResponse:
    """Rotate a key's secret (the old one stays valid for the overlap) or disable the key."""
    settings: Settings = request.app.state.settings
    if action not in ("rotate", "disable"):
        return await _partners_page(request, session, db, problems=["未知的操作"], code=404)
    issued = None
    try:
        async with db.begin_nested():
            if action == "rotate":
                issued = await partner_service.rotate_key(
                    db, settings.field_cipher(), app_key, overlap_s=settings.rotation_overlap_s
                )
            else:
                await partner_service.disable_key(db, app_key)
    except ProblemError as exc:
        return await _partners_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    request.app.state.gate.partners.forget(app_key)
    hours = settings.rotation_overlap_s // 3600
    note = (
        f"已轮换 {app_key} 的密钥；旧密钥在 {hours} 小时内仍可用"
        if action == "rotate"
        else f"已停用 {app_key}：此后用它签名的请求一律拒绝"
    )
    return await _partners_page(request, session, db, notice=note, issued=issued)


# --- 昆e服 codes: bulk issue, print sheets, coverage --------------------------------------------------------------


async def _codes_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    *,
    qualification: str = "high_tech",
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    lines: str = "",
    batch: list[str] | None = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    if qualification not in service.COVERAGE_QUALIFICATIONS:
        qualification = "high_tech"
    codes = [code_service.to_out(settings, c) for c in await code_service.list_codes(db, limit=100)]
    coverage: dict[str, Any] | None = None
    try:
        companies = await service.companies_with(_calls(request, session), qualification)
    except UpstreamError as exc:
        problems = [*(problems or []), f"企业档案暂不可用，无法统计覆盖情况：{problem_text(exc)}"]
    else:
        covered = await code_service.covered_targets(db, [c["uscc"] for c in companies])
        missing = [c for c in companies if c["uscc"] not in covered]
        coverage = {
            "qualification": qualification,
            "title": TAXONOMY.qualifications.display(qualification),
            "total": len(companies),
            "covered": len(companies) - len(missing),
            "missing": missing[:50],
            "missing_count": len(missing),
            "missing_lines": "\n".join(
                f"{c['uscc']}\t{c['name']}" + (f"\t{c['industry_chain']}" if c.get("industry_chain") else "")
                for c in missing[:200]
            ),
        }
    return await _page(
        request,
        session,
        "console/codes.html",
        status=code,
        codes=codes,
        coverage=coverage,
        qualifications={q: TAXONOMY.qualifications.display(q) for q in service.COVERAGE_QUALIFICATIONS},
        notice=notice,
        problems=problems or [],
        lines=lines,
        batch=batch or [],
    )


@router.get("/codes", response_class=HTMLResponse)
async def codes(
    request: Request, session: ServiceCodeDesk, db: SessionDep, qualification: str = "high_tech"
) -> HTMLResponse:
    return await _codes_page(request, session, db, qualification=qualification)


@router.post("/codes/bulk", response_class=HTMLResponse, response_model=None)
async def issue_codes(request: Request, session: ServiceCodeDesk, db: SessionDep) -> Response:
    """Codes for a list of companies pasted from a sheet: every line checked first (one bad line and nothing is
    issued, each bad line named); then a background batch is queued and the officer follows its progress."""
    form = await request.form()
    lines = str(form.get("lines") or "")
    wanted, problems = code_service.parse_bulk_lines(lines)
    if not wanted and not problems:
        problems = ["请粘贴企业清单：每行“统一社会信用代码 名称 [产业链]”"]
    if problems:
        return await _codes_page(request, session, db, problems=problems, code=422, lines=lines)
    job = await code_batches.enqueue(db, [body for _, body in wanted], session.subject, source="console")
    return RedirectResponse(f"/console/codes/batches/{job.id}", status_code=303)


async def _batch_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    job_id: uuid.UUID,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
) -> HTMLResponse:
    job = await code_batches.get(db, job_id)
    batch = code_batches.public(job, await db_now(db))
    first = (
        [str(c.id) for c in (await code_batches.issued(db, job_id))[:60]] if job.status == "succeeded" else []
    )
    return await _page(
        request,
        session,
        "console/codes_batch.html",
        status=code,
        batch=batch,
        live=job.status in ("queued", "running"),
        printable=first,
        notice=notice,
        problems=problems or [],
    )


@router.get("/codes/batches/{job_id}", response_class=HTMLResponse)
async def code_batch(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> HTMLResponse:
    """A batch's progress (the page reloads itself while it runs), then its download and print sheet."""
    try:
        return await _batch_page(request, session, db, job_id)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)


@router.post("/codes/batches/{job_id}/cancel", response_class=HTMLResponse)
async def cancel_code_batch(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> HTMLResponse:
    try:
        async with db.begin_nested():
            job = await code_batches.cancel(db, job_id)
    except ProblemError as exc:
        return await _batch_page(request, session, db, job_id, problems=[problem_text(exc)], code=exc.status)
    return await _batch_page(
        request, session, db, job_id, notice=f"已取消：已生成的 {job.done} 个码保留，其余不再生成"
    )


@router.get("/codes/batches/{job_id}/codes.csv", response_model=None)
async def code_batch_csv(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> Response:
    """The batch's codes as a sheet (名称、编号、二维码地址) to hand out."""
    try:
        await code_batches.get(db, job_id)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    settings: Settings = request.app.state.settings
    return Response(
        code_batches.as_csv(settings, await code_batches.issued(db, job_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kunefu-codes-{job_id}.csv"'},
    )


@router.get("/codes/print", response_class=HTMLResponse)
async def print_codes(
    request: Request, session: ServiceCodeDesk, db: SessionDep, id: Annotated[list[uuid.UUID], Query()]
) -> HTMLResponse:
    """A printable sheet of the codes asked for: each QR with the company's name, to cut and post."""
    settings: Settings = request.app.state.settings
    sheet = []
    for code_id in id[:60]:
        try:
            c = await code_service.get(db, code_id)
        except ProblemError:
            continue
        out = code_service.to_out(settings, c)
        svg = qr_image_svg(out.url).decode()
        sheet.append({"name": out.name, "target": out.target, "svg": Markup(svg[svg.index("<svg") :])})
    return await _page(request, session, "console/codes_print.html", sheet=sheet)


@router.post("/codes/{code_id}/revoke", response_class=HTMLResponse)
async def revoke_code(
    request: Request, session: ServiceCodeDesk, db: SessionDep, code_id: uuid.UUID
) -> HTMLResponse:
    try:
        async with db.begin_nested():
            revoked = await code_service.revoke(db, code_id, session.subject)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    return await _codes_page(
        request, session, db, notice=f"已作废“{revoked.name}”的昆e服码，扫码将显示已失效"
    )


# --- SMS delivery log (admins) ------------------------------------------------------------------------------------


@router.get("/deliveries", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    session: DeliveriesDesk,
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> HTMLResponse:
    filters = {"status": status or "", "date_from": date_from or "", "date_to": date_to or ""}
    return await _view_page(
        request,
        session,
        "console/deliveries.html",
        service.deliveries_view(
            _calls(request, session), status=status, date_from=date_from or None, date_to=date_to or None
        ),
        filters=filters,
        statuses=service.DELIVERY_STATUS,
        from_view=lambda view: {"filters": view["filters"]},
    )


# --- officer, approver: 人才计划 (talent programs, calls, 公示 objections) -----------------------------------------------


@router.get("/programs", response_class=HTMLResponse)
async def programs_page(
    request: Request, session: ProgramDesk, program: str | None = None, status: str | None = None
) -> HTMLResponse:
    """The department's programs and their calls with window, quota, status and counts; ``program`` narrows to
    one (another department's is refused by svc-disbursement, shown here with its status)."""
    chosen, state = (program or "").strip() or None, (status or "").strip() or None
    wrong = []
    if chosen is not None:
        try:
            chosen = str(uuid.UUID(chosen))
        except ValueError:
            wrong.append(f"人才计划编号“{chosen}”无效，已显示本部门全部计划")
            chosen = None
    if state is not None and state not in programs.CALL_STATUS:
        wrong.append(f"批次状态“{state}”不存在，可选：{'、'.join(programs.CALL_STATUS.values())}")
        state = None
    return await _view_page(
        request,
        session,
        "console/programs.html",
        programs.programs_view(
            _calls(request, session),
            roles=list(session.roles),
            department=session.department,
            program=chosen,
            status=state,
        ),
        code=422 if wrong else 200,
        problems=wrong,
        filters={"program": chosen, "status": state},
        statuses=programs.CALL_STATUS,
    )


async def _program_call_page(
    request: Request,
    session: SignedIn,
    call_id: str,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    return await _view_page(
        request,
        session,
        "console/program_call.html",
        programs.call_view(
            _calls(request, session),
            _names(request),
            call_id,
            me=session.subject,
            my_name=session.display_name or session.subject,
        ),
        code=code,
        problems=problems,
        call_id=call_id,
        notice=notice,
        form=form or {},
        outcomes=programs.OUTCOMES,
        can_resolve="officer" in session.roles or "admin" in session.roles,
    )


@router.get("/programs/calls/{call_id}", response_class=HTMLResponse)
async def program_call(request: Request, session: ProgramDesk, call_id: uuid.UUID) -> HTMLResponse:
    return await _program_call_page(request, session, str(call_id))


@router.post("/programs/objections/{objection_id}/resolution", response_class=HTMLResponse)
async def resolve_program_objection(
    request: Request, session: ProgramDesk, objection_id: uuid.UUID
) -> HTMLResponse:
    """An objection resolved with its outcome and reply, as svc-disbursement takes it; a refusal (a reply left
    empty, another department, already resolved) is shown next to the field it names, with the reply kept."""
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    reply = str(form.get("resolution") or "")
    calls = _calls(request, session)
    try:
        done = await programs.resolve_objection(calls, str(objection_id), outcome, reply)
    except UpstreamError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        fields = {
            f"{e['field']}_error": programs.objection_field_error(
                str(e["field"]), str(e.get("message") or "")
            )
            for e in body.get("errors") or []
            if isinstance(e, dict) and e.get("field") in programs.RESOLUTION_FIELDS
        }
        kept = {"objection_id": str(objection_id), "outcome": outcome, "resolution": reply, **fields}
        # A field the service named: its words in Chinese beside the field, and above the page what went wrong.
        said = [f"异议未处理：{m}" for m in fields.values()] or [problem_text(exc)]
        try:
            call_id = await programs.objection_call_id(calls, str(objection_id))
        except UpstreamError as missing:
            return await _page(
                request,
                session,
                "console/error.html",
                status=problem_status(missing),
                problems=[problem_text(missing)],
            )
        return await _program_call_page(
            request, session, call_id, problems=said, code=problem_status(exc), form=kept
        )
    outcome_title = programs.OBJECTION_STATUS.get(str(done.get("status")), "")
    promoted = "，名额内已按排名递补" if done.get("promoted_application_id") else ""
    return await _program_call_page(
        request,
        session,
        str(done["call_id"]),
        notice=f"已处理异议（{done['applicant_name']}）：{outcome_title}{promoted}",
    )
