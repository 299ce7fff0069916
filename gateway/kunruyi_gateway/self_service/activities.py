"""Activities on 昆e服 (``/m/activities…``): the coming activities, one activity with its registration form, and the
check-in page its QR code opens at the door.

Anyone may use them. A company or talent signed in (苏商通 / 统一身份认证 web session) registers and checks in as
itself, calling svc-talent as its own principal; anyone else gives a name and a mobile number (svc-talent keeps the
phone encrypted and shows it masked) and calls as the page's public identity. A signed-in browser's forms carry its
CSRF token (checked for every unsafe method when there is a session; without one there is nothing to ride on).
The QR code holds ``/m/activities/{id}/check-in?code=<the activity's signed check-in code>``; svc-talent checks the
code, the time and the registration."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.auth import Principal
from kunruyi_common.validators import InvalidIdentifier, normalize_cn_mobile

from kunruyi_gateway.access.gate import client_address
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.csrf import UNSAFE_METHODS, csrf_protect
from kunruyi_gateway.web.sessions import OptionalWebSession, SignedIn, load_session
from kunruyi_gateway.web.templating import render


async def csrf_when_signed_in(request: Request) -> None:
    """A signed-in browser's form must echo its session's CSRF token; an anonymous form has no session to abuse."""
    if request.method in UNSAFE_METHODS and await load_session(request) is not None:
        await csrf_protect(request)


router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_when_signed_in)])

# The page's identity for a visitor who is not signed in: public, and nobody in particular.
VISITOR = Principal(kind="public", subject="m-activities", name="昆e服活动页")
_CODE = re.compile(r"^[0-9]{1,12}\.[0-9a-f]{1,64}$")
_NAME_MAX = 60


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _self(session: SignedIn | None) -> SignedIn | None:
    """The session when it is a company's or a talent's (they act as themselves); staff browse as visitors."""
    return session if session is not None and session.kind in ("company", "talent") else None


def _calls(request: Request, session: SignedIn | None) -> PageCalls:
    own = _self(session)
    if own is not None:
        return PageCalls.for_session(request, own)
    return PageCalls(request.app.state.upstreams, _settings(request), VISITOR)


async def _limit(request: Request) -> None:
    await request.app.state.gate.limiter.hit(
        _settings(request).public_rate, "activity", client_address(request)
    )


def _problem(exc: UpstreamError) -> tuple[str, str, str]:
    """(code, field, detail) of a service's problem answer."""
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("code") or ""), str(body.get("field") or ""), str(body.get("detail") or "")


async def _activity(request: Request, session: SignedIn | None, activity_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(activity_id)
    except ValueError:
        return None
    try:
        found = await _calls(request, session).call("talent", "GET", f"/api/v1/activities/{activity_id}")
    except UpstreamError as exc:
        if exc.status in (404, 422):
            return None
        raise
    return found if isinstance(found, dict) else None


def _state(activity: dict[str, Any]) -> str:
    """open (registration open) | full | started (registration closed) | ended."""
    now = datetime.now(UTC)
    starts = datetime.fromisoformat(str(activity["starts_at"]))
    ends = datetime.fromisoformat(str(activity["ends_at"]))
    if now > ends:
        return "ended"
    if now >= starts:
        return "started"
    if int(activity.get("registered") or 0) >= int(activity.get("capacity") or 0):
        return "full"
    return "open"


def _contact(name: str, phone: str) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned form and the errors of its fields."""
    form = {"name": name.strip(), "phone": phone.strip()}
    errors: dict[str, str] = {}
    if not form["name"]:
        errors["name"] = "请填写姓名"
    elif len(form["name"]) > _NAME_MAX:
        errors["name"] = f"姓名不能超过 {_NAME_MAX} 个字"
    if not form["phone"]:
        errors["phone"] = "请填写手机号"
    else:
        try:
            form["phone"] = normalize_cn_mobile(form["phone"])
        except InvalidIdentifier as exc:
            errors["phone"] = exc.message
    return form, errors


async def _unavailable(request: Request, name: str, **context: Any) -> HTMLResponse:
    return await render(request, name, status=503, unavailable=True, **context)


async def _activity_or_page(
    request: Request, session: SignedIn | None, activity_id: str, template: str
) -> dict[str, Any] | HTMLResponse:
    """The activity, or the page to answer instead: 404 for an unknown one, 503 when svc-talent cannot answer."""
    try:
        activity = await _activity(request, session, activity_id)
    except UpstreamError:
        return await _unavailable(request, template, tab="activities", activity=None)
    if activity is None:
        return await render(request, template, status=404, tab="activities", activity=None)
    return activity


# ---------------------------------------------------------------------------------------------------------- 列表


@router.get("/m/activities", response_class=HTMLResponse)
async def activities(request: Request, session: OptionalWebSession) -> HTMLResponse:
    listed = await _calls(request, session).section(
        "talent", "GET", "/api/v1/activities", params={"limit": 200}
    )
    now = datetime.now(UTC)
    coming = [a for a in listed.items if datetime.fromisoformat(str(a["ends_at"])) >= now]
    coming.sort(key=lambda a: str(a["starts_at"]))
    for a in coming:
        a["state"] = _state(a)
    return await render(
        request,
        "self/activities.html",
        tab="activities",
        listed=listed,
        coming=coming,
        self_session=_self(session),
    )


# ---------------------------------------------------------------------------------------------------------- 详情、报名


async def _detail(
    request: Request, session: SignedIn | None, activity: dict[str, Any], status: int = 200, **extra: Any
) -> HTMLResponse:
    extra.setdefault("form", {"name": "", "phone": ""})
    return await render(
        request,
        "self/activity.html",
        status=status,
        tab="activities",
        activity=activity,
        state=_state(activity),
        self_session=_self(session),
        **extra,
    )


@router.get("/m/activities/{activity_id}", response_class=HTMLResponse)
async def activity_detail(
    activity_id: str, request: Request, session: OptionalWebSession, registered: str = ""
) -> HTMLResponse:
    activity = await _activity_or_page(request, session, activity_id, "self/activity.html")
    if isinstance(activity, HTMLResponse):
        return activity
    flash = "报名成功！活动当天到现场扫描签到二维码即可签到。" if registered else None
    return await _detail(request, session, activity, flash=flash, registered=bool(registered))


@router.post("/m/activities/{activity_id}/register", response_class=HTMLResponse)
async def register(
    activity_id: str,
    request: Request,
    session: OptionalWebSession,
    name: str = Form(""),
    phone: str = Form(""),
) -> Response:
    await _limit(request)
    activity = await _activity_or_page(request, session, activity_id, "self/activity.html")
    if isinstance(activity, HTMLResponse):
        return activity
    own = _self(session)
    form = {"name": name.strip(), "phone": phone.strip()}
    body: dict[str, str] = {}
    if own is None:
        form, field_errors = _contact(name, phone)
        if field_errors:
            return await _detail(request, session, activity, 422, form=form, field_errors=field_errors)
        body = form
    try:
        await _calls(request, session).call(
            "talent", "POST", f"/api/v1/activities/{activity['id']}/sign-ups", json=body
        )
    except UpstreamError as exc:
        code, field, detail = _problem(exc)
        if exc.status is None or exc.status >= 500:
            return await _detail(
                request, session, activity, 503, form=form, errors=["报名服务暂不可用，请稍后再试"]
            )
        if code == "already_registered":
            message = "您已报名该活动，无需重复报名" if own else "这个手机号已报名该活动，无需重复报名"
            if own:
                return await _detail(request, session, activity, 409, form=form, errors=[message])
            return await _detail(request, session, activity, 409, form=form, field_errors={"phone": message})
        if own is None and field in ("name", "phone"):
            return await _detail(
                request, session, activity, exc.status, form=form, field_errors={field: detail}
            )
        return await _detail(
            request, session, activity, exc.status, form=form, errors=[detail or "报名未能提交，请稍后再试"]
        )
    return RedirectResponse(f"/m/activities/{activity['id']}?registered=1", status_code=303)


# ---------------------------------------------------------------------------------------------------------- 扫码签到


async def _check_in_page(
    request: Request,
    session: SignedIn | None,
    activity: dict[str, Any] | None,
    code: str,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    extra.setdefault("form", {"name": "", "phone": ""})
    return await render(
        request,
        "self/activity_check_in.html",
        status=status,
        tab="activities",
        activity=activity,
        code=code,
        self_session=_self(session),
        login_next=f"/m/activities/{activity['id']}/check-in?code={quote(code, safe='')}" if activity else "",
        **extra,
    )


_BAD_CODE = "签到二维码无效或已过期，请重新扫描活动现场的签到二维码"


@router.get("/m/activities/{activity_id}/check-in", response_class=HTMLResponse)
async def check_in_page(
    activity_id: str, request: Request, session: OptionalWebSession, code: str = ""
) -> HTMLResponse:
    activity = await _activity_or_page(request, session, activity_id, "self/activity_check_in.html")
    if isinstance(activity, HTMLResponse):
        return activity
    if not _CODE.match(code.strip()):
        return await _check_in_page(request, session, activity, "", 422, errors=[_BAD_CODE], bad_code=True)
    return await _check_in_page(request, session, activity, code.strip())


@router.post("/m/activities/{activity_id}/check-in", response_class=HTMLResponse)
async def check_in(
    activity_id: str,
    request: Request,
    session: OptionalWebSession,
    code: str = Form(""),
    name: str = Form(""),
    phone: str = Form(""),
) -> HTMLResponse:
    await _limit(request)
    activity = await _activity_or_page(request, session, activity_id, "self/activity_check_in.html")
    if isinstance(activity, HTMLResponse):
        return activity
    code = code.strip()
    if not _CODE.match(code):
        return await _check_in_page(request, session, activity, "", 422, errors=[_BAD_CODE], bad_code=True)
    own = _self(session)
    form = {"name": name.strip(), "phone": phone.strip()}
    body: dict[str, str] = {"code": code}
    if own is None:
        form, field_errors = _contact(name, phone)
        if field_errors:
            return await _check_in_page(
                request, session, activity, code, 422, form=form, field_errors=field_errors
            )
        body.update(form)
    try:
        done = await _calls(request, session).call(
            "talent", "POST", f"/api/v1/activities/{activity['id']}/self-check-ins", json=body
        )
    except UpstreamError as exc:
        problem, field, detail = _problem(exc)
        if exc.status is None or exc.status >= 500:
            return await _check_in_page(
                request, session, activity, code, 503, form=form, errors=["签到服务暂不可用，请稍后再试"]
            )
        if problem == "bad_check_in_code":
            return await _check_in_page(
                request, session, activity, "", 422, errors=[detail or _BAD_CODE], bad_code=True
            )
        if problem in ("activity_finished", "check_in_not_open", "activity_full"):
            return await _check_in_page(
                request, session, activity, code, exc.status, errors=[detail], closed=True
            )
        if own is None and field in ("name", "phone"):
            message = (
                "没有找到您的报名：请核对报名时填写的姓名和手机号" if problem == "not_registered" else detail
            )
            return await _check_in_page(
                request, session, activity, code, exc.status, form=form, field_errors={field: message}
            )
        message = "您的账号没有报名该活动" if problem == "not_registered" else detail
        return await _check_in_page(
            request, session, activity, code, exc.status, form=form, errors=[message or "签到未能完成"]
        )
    return await render(
        request, "self/activity_checked_in.html", tab="activities", activity=activity, done=done
    )
