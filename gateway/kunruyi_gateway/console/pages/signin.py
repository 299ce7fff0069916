"""Staff sign-in through the city's identity provider (OIDC), and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kunruyi_gateway.console import oidc
from kunruyi_gateway.console.exceptions import SignInFailed
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.sessions import OptionalWebSession, end_session, start_session
from kunruyi_gateway.web.templating import render

router = APIRouter()


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
