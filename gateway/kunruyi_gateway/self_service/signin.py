"""Sign-in on 昆e服: talents through the province's personal identity service (统一身份认证, OIDC authorization code),
companies through 苏商通. Both end in a web session (``kunruyi_gateway.web.sessions``); sign-out deletes it.

The state of a sign-in in flight (the OIDC ``state`` and ``nonce``, the page to come back to) rides in a short,
HMAC-signed, HttpOnly cookie, so the callback can tell its own redirect from a forged one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.auth import Principal
from kunruyi_common.errors import ProblemError
from kunruyi_common.openapi import problem_responses
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_gateway.integrations.exceptions import IdentitySignInFailed, TalentNotRegistered
from kunruyi_gateway.integrations.identity.client import IdentityClient, IdentityPerson
from kunruyi_gateway.integrations.sushangtong.endpoints import SessionOut
from kunruyi_gateway.integrations.yiqilaiban.client import PortalError
from kunruyi_gateway.integrations.yiqilaiban.endpoints import portal_client
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import SESSION_ISSUER, TALENT_SESSION_PREFIX
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.csrf import CsrfProtected
from kunruyi_gateway.web.sessions import OptionalWebSession, end_session, secure_cookies, start_session
from kunruyi_gateway.web.templating import render

router = APIRouter(include_in_schema=False)
logout_router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])
api_router = APIRouter(tags=["统一身份认证 identity"])

FLOW_COOKIE = "kry_signin"
_FLOW_TTL_S = 600
# Who looks a signed-in person up by ID number in svc-talent: the sign-in itself (its lookup is staff-only there).
SIGN_IN_LOOKUP = Principal(
    kind="staff", subject="gateway:identity-sign-in", name="统一身份认证登录", roles=["officer"]
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def identity_client(request: Request) -> IdentityClient:
    client: IdentityClient | None = getattr(request.app.state, "identity", None)
    if client is None:
        client = IdentityClient(_settings(request), request.app.state.upstreams.client)
        request.app.state.identity = client
    return client


def _sign(payload: bytes, request: Request) -> str:
    key = hashlib.sha256(f"{_settings(request).internal_token_secret}:web-sign-in".encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _flow_cookie(request: Request, response: Response, flow: dict[str, Any]) -> None:
    payload = base64.urlsafe_b64encode(json.dumps({**flow, "at": int(time.time())}).encode())
    response.set_cookie(
        FLOW_COOKIE,
        f"{payload.decode()}.{_sign(payload, request)}",
        max_age=_FLOW_TTL_S,
        path="/m/login",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def _read_flow(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLOW_COOKIE, "")
    payload, _, signature = raw.rpartition(".")
    if not payload or not hmac.compare_digest(_sign(payload.encode(), request), signature):
        return None
    try:
        flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return flow if time.time() - int(flow.get("at", 0)) <= _FLOW_TTL_S else None


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/m/") and "//" not in value and "\\" not in value else "/m/"


def _callback_url(request: Request, path: str) -> str:
    return f"{_settings(request).public_base_url.rstrip('/')}{path}"


async def _failed(request: Request, message: str, status: int = 401) -> HTMLResponse:
    response = await render(request, "self/login.html", status=status, errors=[message], next="/m/")
    response.delete_cookie(FLOW_COOKIE, path="/m/login")
    return response


@router.get("/m/login", response_class=HTMLResponse)
async def login_page(request: Request, session: OptionalWebSession, next: str = "/m/") -> Response:
    if session is not None and session.kind in ("company", "talent"):
        return RedirectResponse(_safe_next(next), status_code=303)
    return await render(request, "self/login.html", next=_safe_next(next))


@router.get("/m/login/identity")
async def login_identity(request: Request, next: str = "/m/") -> RedirectResponse:
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = identity_client(request).authorize_url(
        redirect_uri=_callback_url(request, "/m/login/identity/callback"), state=state, nonce=nonce
    )
    response = RedirectResponse(url, status_code=303)
    _flow_cookie(
        request, response, {"via": "identity", "state": state, "nonce": nonce, "next": _safe_next(next)}
    )
    return response


async def talent_of(request: Request, person: IdentityPerson) -> dict[str, Any]:
    """The svc-talent record of the person the identity service vouched for (looked up by ID number)."""
    calls = PageCalls(request.app.state.upstreams, _settings(request), SIGN_IN_LOOKUP)
    try:
        found = await calls.call(
            "talent", "GET", "/api/v1/talents/lookup", params={"id_number": person.id_number}
        )
    except UpstreamError as exc:
        if exc.status == 404:
            raise TalentNotRegistered(
                "您已通过统一身份认证，但平台上还没有您的人才档案。请联系所在单位或服务中心建档后再登录"
            ) from None
        raise IdentitySignInFailed("人才档案服务暂不可用，请稍后再试", status=503) from None
    if not isinstance(found, dict) or not found.get("talent_id"):
        raise IdentitySignInFailed("人才档案服务暂不可用，请稍后再试", status=503)
    return found


@router.get("/m/login/identity/callback", response_class=HTMLResponse)
async def identity_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    flow = _read_flow(request)
    if error:
        return await _failed(request, "您取消了统一身份认证登录。需要时请重新登录", status=401)
    if (
        flow is None
        or flow.get("via") != "identity"
        or not hmac.compare_digest(str(flow.get("state")), state)
    ):
        return await _failed(request, "登录请求已过期或来源不明，请重新登录", status=400)
    try:
        person = await identity_client(request).exchange(
            code=code,
            redirect_uri=_callback_url(request, "/m/login/identity/callback"),
            nonce=flow.get("nonce"),
        )
        talent = await talent_of(request, person)
    except ProblemError as exc:
        return await _failed(request, exc.detail, status=exc.status)
    response = RedirectResponse(_safe_next(flow.get("next")), status_code=303)
    await start_session(
        request,
        response,
        kind="talent",
        subject=str(talent["talent_id"]),
        display_name=person.name,
        method="identity",
    )
    response.delete_cookie(FLOW_COOKIE, path="/m/login")
    return response


def _sushangtong_login(settings: Settings) -> str:
    return settings.sushangtong_login_url or f"{settings.yiqilaiban_url.rstrip('/')}/sso/login"


@router.get("/m/login/sushangtong")
async def login_sushangtong(request: Request, next: str = "/m/") -> RedirectResponse:
    state = secrets.token_urlsafe(16)
    query = urlencode(
        {"redirect_uri": _callback_url(request, "/m/login/sushangtong/callback"), "state": state}
    )
    response = RedirectResponse(f"{_sushangtong_login(_settings(request))}?{query}", status_code=303)
    _flow_cookie(request, response, {"via": "sushangtong", "state": state, "next": _safe_next(next)})
    return response


@router.get("/m/login/sushangtong/callback", response_class=HTMLResponse)
async def sushangtong_callback(request: Request, ticket: str = "", state: str = "") -> Response:
    flow = _read_flow(request)
    if (
        flow is None
        or flow.get("via") != "sushangtong"
        or not hmac.compare_digest(str(flow.get("state")), state)
    ):
        return await _failed(request, "登录请求已过期或来源不明，请重新登录", status=400)
    try:
        answer = await portal_client(request).verify_sso_ticket(ticket)
    except PortalError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            return await _failed(request, "苏商通登录票据无效或已使用，请重新登录")
        return await _failed(request, "苏商通暂不可用，请稍后再试", status=503)
    user: dict[str, Any] = answer.get("user") or {}
    if user.get("user_type") != "enterprise" or not user.get("uscc"):
        return await _failed(request, "此入口供企业用户登录；工作人员请从工作台（/console）登录", status=403)
    response = RedirectResponse(_safe_next(flow.get("next")), status_code=303)
    await start_session(
        request,
        response,
        kind="company",
        subject=str(user["uscc"]).upper(),
        display_name=user.get("name"),
        method="sushangtong",
    )
    response.delete_cookie(FLOW_COOKIE, path="/m/login")
    return response


@logout_router.post("/m/logout", response_class=HTMLResponse)
async def logout(request: Request) -> Response:
    response = RedirectResponse("/m/login?signed_out=1", status_code=303)
    await end_session(request, response)
    return response


class IdentityCodeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "3mQ9w0p1xYbq2c", "redirect_uri": "https://app.example.cn/callback"}]
        }
    )

    code: str = Field(min_length=1, max_length=200)
    redirect_uri: str = Field(min_length=1, max_length=500)
    nonce: str | None = Field(default=None, max_length=200)


@api_router.post(
    "/integrations/identity/session",
    summary="用统一身份认证的授权码换取人才的 API 会话令牌",
    responses=problem_responses(401, 404),
)
async def identity_session(body: IdentityCodeIn, request: Request) -> SessionOut:
    """For apps (not the browser pages): the authorization code the identity service gave the app's redirect URI
    is redeemed, the ID token verified, the talent found by ID number; the answer is a bearer token for the API that
    reaches only the talent's own records."""
    settings = _settings(request)
    person = await identity_client(request).exchange(
        code=body.code, redirect_uri=body.redirect_uri, nonce=body.nonce
    )
    talent = await talent_of(request, person)
    talent_id = str(talent["talent_id"])
    issuer = request.app.state.gateway_issuer
    token = issuer.mint(
        issuer=SESSION_ISSUER,
        audience=settings.oidc_audience,
        subject=f"{TALENT_SESSION_PREFIX}{talent_id}",
        ttl_s=settings.self_token_ttl_s,
        name=person.name,
        kind="talent",
        talent_id=talent_id,
        amr=["identity"],
    )
    return SessionOut(
        token=token,
        expires_in=settings.self_token_ttl_s,
        user_type="talent",
        subject=f"{TALENT_SESSION_PREFIX}{talent_id}",
        name=person.name,
    )
