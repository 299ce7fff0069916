"""消息: the inbox — read, read all, and the notification preferences."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kunruyi_gateway.self_service.common import own_calls, page
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SelfSession, SignedIn

router = APIRouter()


_MESSAGE_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_CURSOR = re.compile(r"^[A-Za-z0-9_=-]{1,200}$")


def _local_link(link: Any) -> str | None:
    """A message's link, only when it is a page of this site (never another origin)."""
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


async def _messages(request: Request, session: SignedIn, cursor: str = "", **extra: Any) -> HTMLResponse:
    calls = own_calls(request, session)
    params: dict[str, Any] = {"limit": 20}
    if cursor and _CURSOR.match(cursor):
        params["cursor"] = cursor
    inbox = await calls.section("talent", "GET", "/api/v1/messages", params=params)
    for m in inbox.items:
        m["local_link"] = _local_link(m.get("link"))
    unread = inbox.data.get("unread") if inbox.ok and isinstance(inbox.data, dict) else None
    next_cursor = inbox.data.get("next_cursor") if inbox.ok and isinstance(inbox.data, dict) else None
    if "preferences" not in extra:
        extra["preferences"] = await calls.section("talent", "GET", "/api/v1/messages/preferences")
    prefs = extra["preferences"]
    if "form" not in extra:
        quiet = prefs.data.get("quiet_hours") if prefs.ok and isinstance(prefs.data, dict) else None
        extra["form"] = {
            "sms_kinds": list(prefs.data.get("sms_kinds") or []) if prefs.ok else [],
            "quiet_start": str(quiet["start"]) if quiet else "",
            "quiet_end": str(quiet["end"]) if quiet else "",
        }
    kinds = prefs.data.get("kinds") if prefs.ok and isinstance(prefs.data, dict) else None
    return await page(
        request,
        "self/messages.html",
        session,
        "messages",
        inbox=inbox,
        unread=unread if isinstance(unread, int) else None,
        next_cursor=next_cursor,
        kinds=kinds or [],
        **extra,
    )


@router.get("/m/messages", response_class=HTMLResponse)
async def my_messages(request: Request, session: SelfSession, cursor: str = "") -> HTMLResponse:
    return await _messages(request, session, cursor)


@router.post("/m/messages/read-all", response_class=HTMLResponse)
async def read_all_messages(request: Request, session: SelfSession) -> Response:
    try:
        await own_calls(request, session).call("talent", "POST", "/api/v1/messages/read-all")
    except UpstreamError:
        return await _messages(request, session, errors=["未能标为已读，请稍后再试"], status=503)
    return RedirectResponse("/m/messages?all_read=1", status_code=303)


@router.post("/m/messages/{message_id}/read", response_class=HTMLResponse)
async def read_message(
    message_id: str, request: Request, session: SelfSession, open_link: str = Form("")
) -> Response:
    if not _MESSAGE_ID.match(message_id):
        return await _messages(request, session, errors=["没有这条消息"], status=404)
    try:
        read = await own_calls(request, session).call("talent", "POST", f"/api/v1/messages/{message_id}/read")
    except UpstreamError as exc:
        missing = exc.status in (404, 422)
        return await _messages(
            request,
            session,
            errors=["没有这条消息" if missing else "未能标为已读，请稍后再试"],
            status=404 if missing else 503,
        )
    link = _local_link(read.get("link")) if isinstance(read, dict) else None
    if open_link and link:
        return RedirectResponse(link, status_code=303)
    return RedirectResponse("/m/messages?read=1", status_code=303)


def _hour(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"\d{1,2}", value) and int(value) <= 23 else None


@router.post("/m/messages/preferences", response_class=HTMLResponse)
async def save_preferences(
    request: Request,
    session: SelfSession,
    sms_kinds: list[str] = Form(default=[]),
    quiet_start: str = Form(""),
    quiet_end: str = Form(""),
) -> Response:
    calls = own_calls(request, session)
    form = {"sms_kinds": sms_kinds, "quiet_start": quiet_start.strip(), "quiet_end": quiet_end.strip()}
    field_errors: dict[str, str] = {}
    start, end = _hour(quiet_start), _hour(quiet_end)
    if form["quiet_start"] or form["quiet_end"]:
        if start is None:
            field_errors["quiet_start"] = "请填写 0–23 之间的整点（北京时间），如 22"
        if end is None:
            field_errors["quiet_end"] = "请填写 0–23 之间的整点（北京时间），如 8"
        if start is not None and start == end:
            field_errors["quiet_end"] = "结束时间不能与开始时间相同"
    preferences = await calls.section("talent", "GET", "/api/v1/messages/preferences")
    if not field_errors:
        body = {
            "sms_kinds": sms_kinds,
            "quiet_hours": {"start": start, "end": end} if start is not None and end is not None else None,
        }
        try:
            await calls.call("talent", "PUT", "/api/v1/messages/preferences", json=body)
        except UpstreamError as exc:
            problem = exc.body if isinstance(exc.body, dict) else {}
            field = str(problem.get("field") or "")
            detail = problem.get("detail") or "设置未能保存，请稍后再试"
            key = (
                "quiet_start"
                if "start" in field
                else "quiet_end"
                if "end" in field or "quiet" in field
                else "sms_kinds"
            )
            field_errors[key] = f"设置未能保存：{detail}"
    if field_errors:
        return await _messages(
            request, session, preferences=preferences, form=form, field_errors=field_errors, status=422
        )
    return RedirectResponse("/m/messages?saved=1#preferences", status_code=303)
