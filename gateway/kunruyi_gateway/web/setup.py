"""Wiring of the web stack into the gateway app: static assets, the sign-in redirect, the Chinese error pages for
the web problems, and the sweep of expired sessions."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from kunruyi_common.errors import ProblemError, problem_response
from kunruyi_common.periodic import start_periodic
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.web.exceptions import CsrfTokenInvalid, SignInRequired, WrongPrincipalKind
from kunruyi_gateway.web.sessions import purge_expired
from kunruyi_gateway.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Where a browser without a session is sent, by path prefix (the longest match wins); the console adds its own.
SIGN_IN_PAGES: dict[str, str] = {"/m": "/m/login", "/console": "/console/login"}
DEFAULT_SIGN_IN = "/m/login"


def sign_in_url(path: str) -> str:
    prefixes = sorted(
        (p for p in SIGN_IN_PAGES if path == p or path.startswith(p + "/")), key=len, reverse=True
    )
    return SIGN_IN_PAGES[prefixes[0]] if prefixes else DEFAULT_SIGN_IN


def wants_html(request: Request) -> bool:
    """A browser page (not an API call, not an htmx fragment that asked for JSON)."""
    path = request.url.path
    if path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return True
    if accept and "*/*" not in accept:
        return False
    return any(path == p or path.startswith(p + "/") for p in SIGN_IN_PAGES)


def _safe_next(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    if not wants_html(request):
        return exc_to_problem(request, exc)
    # After a POST the page to come back to is the form's page, not the POST target.
    back = _safe_next(request) if request.method == "GET" else request.headers.get("referer", "")
    back_path = back if back.startswith("/") else _safe_next(request) if request.method == "GET" else ""
    url = sign_in_url(request.url.path) + (f"?next={quote(back_path, safe='/')}" if back_path else "")
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _refused_page(request: Request, exc: Exception) -> Response:
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
        back=sign_in_url(request.url.path).rsplit("/", 1)[0] + "/",
    )


def exc_to_problem(request: Request, exc: ProblemError) -> Response:
    return problem_response(exc.status, exc.to_problem(request.url.path), exc.headers)


def install_web(app: FastAPI) -> None:
    """Mount ``/static/vendor`` and ``/static/web`` and install the web problems' pages."""
    app.mount("/static/vendor", StaticFiles(directory=STATIC_DIR / "vendor"), name="vendor-assets")
    app.mount("/static/web", StaticFiles(directory=STATIC_DIR / "web"), name="web-assets")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfTokenInvalid, _refused_page)
    app.add_exception_handler(WrongPrincipalKind, _refused_page)


async def start_session_sweep(app: FastAPI) -> None:
    """An ``on_startup`` hook: expired sessions are deleted every 10 minutes (an expired one never signs anyone
    in even before the sweep)."""

    async def sweep(session: AsyncSession) -> int:
        return await purge_expired(session)

    start_periodic(app, job="web-session-sweep", tick=sweep, interval_s=600)
