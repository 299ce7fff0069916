"""The officer's queue of service tickets (诉求工单): accept, answer, transfer, co-handling, the masked phone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console.auth import OfficerDesk
from kunruyi_gateway.console.pages.common import (
    calls_for,
    is_htmx,
    names_of,
    page,
    problem_status,
    problem_text,
)
from kunruyi_gateway.console.views import tickets as tickets_views
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


@router.get("/tickets", response_class=HTMLResponse)
async def tickets(
    request: Request,
    session: OfficerDesk,
    status: str | None = None,
    overdue: bool = False,
    department: str | None = None,
) -> HTMLResponse:
    calls = calls_for(request, session)
    try:
        queue = await tickets_views.ticket_queue(
            calls,
            names_of(request),
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
        template = "console/_tickets_list.html" if is_htmx(request) else "console/tickets.html"
        return await page(request, session, template, status=code if code >= 400 else 502, **ctx)
    template = "console/_tickets_list.html" if is_htmx(request) else "console/tickets.html"
    return await page(
        request, session, template, queue=queue, filters=queue.filters, statuses=tickets_views.TICKET_STATUS
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
    template = "console/_ticket_panel.html" if is_htmx(request) else "console/ticket.html"
    try:
        ticket = await tickets_views.ticket_detail(calls_for(request, session), names_of(request), number)
    except UpstreamError as exc:
        return await page(
            request,
            session,
            template,
            status=problem_status(exc),
            ticket=None,
            number=number,
            problems=[*(problems or []), problem_text(exc)],
        )
    return await page(
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
        await tickets_views.accept_ticket(calls_for(request, session), number)
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
        await tickets_views.answer_ticket(calls_for(request, session), number, reply, comment)
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
        revealed = await tickets_views.reveal_phone(calls_for(request, session), number, reason)
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
        await tickets_views.transfer_ticket(calls_for(request, session), number, department, reason)
    except UpstreamError as exc:
        return await _ticket_panel(
            request, session, number, problems=[problem_text(exc)], status=problem_status(exc), form=kept
        )
    # The ticket now belongs to the other department: this officer's view of it ends here.
    template = "console/_ticket_panel.html" if is_htmx(request) else "console/ticket.html"
    return await page(
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
    call = tickets_views.invite_co_handler(calls_for(request, session), number, department, task)
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
    call = tickets_views.answer_part(calls_for(request, session), number, department, answer)
    return await _ticket_action(
        request,
        session,
        number,
        call,
        notice=f"已答复{department}负责的部分",
        form={"part_answer": answer},
    )
