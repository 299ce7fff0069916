"""Activities (活动): the service lists, one activity's registrations, and its leads (线索)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from kunruyi_common.clock import utc_now
from markupsafe import Markup

from kunruyi_gateway.console.auth import ActivityDesk
from kunruyi_gateway.console.pages.common import (
    XLSX,
    calls_for,
    form_fields,
    is_htmx,
    names_of,
    page,
    problem_status,
    problem_text,
)
from kunruyi_gateway.console.views import leads as console_leads
from kunruyi_gateway.service_codes.service import qr_svg as qr_image_svg
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


@router.get("/activities", response_class=HTMLResponse)
async def activities(request: Request, session: ActivityDesk) -> HTMLResponse:
    listed = await calls_for(request, session).section(
        "talent", "GET", "/api/v1/activities", params={"limit": 200}
    )
    admin = "admin" in session.roles
    mine = [a for a in listed.items if admin or a.get("department") == session.department]
    problems = [] if listed.ok else ["活动服务暂不可用，请稍后再试"]
    return await page(
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
        content = await calls_for(request, session).download(
            "talent", "/api/v1/service-lists/export.xlsx", params=params
        )
    except UpstreamError as exc:
        return await page(
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
    calls = calls_for(request, session)
    template = "console/_leads.html" if is_htmx(request) else "console/activity.html"
    try:
        found, activity = await asyncio.gather(
            calls.call("talent", "GET", f"/api/v1/activities/{activity_id}/registrations"),
            calls.call("talent", "GET", f"/api/v1/activities/{activity_id}"),
        )
    except UpstreamError as exc:
        # The activity itself is refused or unreachable: its words, and no lead forms (htmx swaps #leads alone).
        return await page(
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
            calls, names_of(request), listed, found, industry_chain=activity.get("industry_chain")
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
    return await page(request, session, template, status=status, **context)


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
async def activity_registrations(
    request: Request, session: ActivityDesk, activity_id: uuid.UUID
) -> HTMLResponse:
    return await _activity_page(request, session, activity_id)


@router.post("/activities/{activity_id}/leads", response_class=HTMLResponse)
async def record_lead(request: Request, session: ActivityDesk, activity_id: uuid.UUID) -> HTMLResponse:
    """Record a lead heard at the session (the host department's officer; svc-talent checks who and when)."""
    form = await form_fields(request)
    body, errors = console_leads.record_body(form)
    kept = {"record": form}
    if errors:
        return await _activity_page(
            request, session, activity_id, status=422, problems=["请更正标出的项目后再登记"],
            lead_form={**kept, "record_errors": errors},
        )  # fmt: skip
    try:
        await calls_for(request, session).call(
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
    form = await form_fields(request)
    body, errors = console_leads.conversion_body(form)
    kept = {"lead": str(lead_id), "convert": form}
    if errors:
        return await _activity_page(
            request, session, activity_id, status=422, problems=["请更正标出的项目后再转化"],
            lead_form={**kept, "convert_errors": errors},
        )  # fmt: skip
    try:
        done = await calls_for(request, session).call(
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
