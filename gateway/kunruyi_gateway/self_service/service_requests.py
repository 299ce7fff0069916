"""诉求: the signed-in record's service requests (tickets), one request's history, and following it up (rate, reopen)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kunruyi_gateway.self_service.common import own_calls, page, scoped_calls
from kunruyi_gateway.web.calls import Section, UpstreamError
from kunruyi_gateway.web.sessions import SelfSession, SignedIn

router = APIRouter()


@router.get("/m/requests", response_class=HTMLResponse)
async def my_requests(request: Request, session: SelfSession) -> HTMLResponse:
    demands: Section | None = None
    # svc-talent gives a talent their own tickets and a company those filed for it.
    tickets = await own_calls(request, session).section(
        "talent", "GET", "/api/v1/tickets", params={"limit": 50}
    )
    if session.kind == "company":
        demands = await scoped_calls(request, session, "matching:read").section(
            "matching", "GET", "/api/v1/demands", params={"enterprise_uscc": session.subject, "limit": 50}
        )
        if demands.ok:
            demands.items = [
                d for d in demands.items if str(d.get("enterprise_uscc", "")).upper() == session.subject
            ]
    return await page(request, "self/requests.html", session, "requests", tickets=tickets, demands=demands)


_TICKET_NUMBER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RATING_OPTIONS = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"))


async def _ticket(request: Request, session: SignedIn, number: str, **extra: Any) -> HTMLResponse:
    """One of the signed-in company's or talent's tickets (svc-talent answers 403 for anyone else's)."""
    ticket: Any = None
    problem = None
    if not _TICKET_NUMBER.match(number):
        problem = "没有这个诉求"
    else:
        try:
            ticket = await own_calls(request, session).call(
                "talent", "GET", f"/api/v1/tickets/{quote(number)}"
            )
        except UpstreamError as exc:
            problem = (
                "这不是您的诉求" if exc.status == 403 else "没有这个诉求" if exc.status == 404 else None
            ) or "诉求服务暂不可用，请稍后再试"
    status = (
        200 if ticket else 403 if problem == "这不是您的诉求" else 404 if problem == "没有这个诉求" else 200
    )
    return await page(
        request,
        "self/request.html",
        session,
        "requests",
        ticket=ticket,
        problem=problem,
        rating_options=RATING_OPTIONS,
        status=status,
        **extra,
    )


@router.get("/m/requests/{number}", response_class=HTMLResponse)
async def request_detail(number: str, request: Request, session: SelfSession) -> HTMLResponse:
    return await _ticket(
        request, session, number, flash=_FOLLOW_UP_DONE.get(request.query_params.get("done", ""))
    )


_FOLLOW_UP_DONE = {"rating": "感谢评价", "reopen": "已重新打开，承办部门将再次办理并答复"}


@router.post("/m/requests/{number}/{action}", response_class=HTMLResponse)
async def follow_up_request(
    number: str,
    action: str,
    request: Request,
    session: SelfSession,
    rating: str = Form(""),
    comment: str = Form(""),
) -> Response:
    """Rate the answer (once per answer) or, after 不满意, reopen it within 7 days — as the signed-in filer."""
    if action not in _FOLLOW_UP_DONE or not _TICKET_NUMBER.match(number):
        return await _ticket(request, session, "")
    comment = comment.strip()
    follow_up = {"rating": rating, "comment": comment}
    if action == "rating" and rating not in dict(RATING_OPTIONS):
        return await _ticket(
            request,
            session,
            number,
            field_errors={"rating": "请选择满意、基本满意或不满意"},
            follow_up=follow_up,
        )
    if action == "reopen" and not comment:
        return await _ticket(
            request,
            session,
            number,
            field_errors={"reopen_comment": "请写明仍未解决的问题，承办部门据此重新办理"},
            follow_up=follow_up,
        )
    body = {"rating": rating, "comment": comment or None} if action == "rating" else {"comment": comment}
    try:
        await own_calls(request, session).call(
            "talent", "POST", f"/api/v1/tickets/{quote(number)}/{action}", json=body
        )
    except UpstreamError as exc:
        if exc.status == 403:
            return await _ticket(request, session, number)
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        key = "rating" if action == "rating" else "reopen_comment"
        return await _ticket(
            request,
            session,
            number,
            field_errors={key: detail or "诉求服务暂不可用，请稍后再试"},
            follow_up=follow_up,
        )
    return RedirectResponse(f"/m/requests/{quote(number)}?done={action}", status_code=303)
