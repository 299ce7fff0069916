"""The staff console at ``/console``: sign-in through the city's identity provider, then a queue per role.

Server-rendered pages (the shared Jinja2 environment and layout); filters and actions are htmx requests that
swap one part of the page (a list, a record's panel), and the same forms work without JavaScript (full pages).
Every upstream call is made as the signed-in staff member (``PageCalls.for_session``), so the services apply
their own rules (department, four eyes, transitions); their refusals are shown where the action was taken.

Each queue's pages are a module of ``console/pages/`` (``/console/tickets`` is ``pages/tickets.py``); this module
puts them under ``/console`` behind the CSRF check and installs the console's 403 page.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console import roles
from kunruyi_gateway.console.exceptions import ConsoleRoleRequired
from kunruyi_gateway.console.pages import (
    activities,
    applications,
    broker,
    catalog,
    cockpit,
    codes,
    deliveries,
    finance,
    partners,
    platforms,
    programs,
    runs,
    signin,
    tickets,
)
from kunruyi_gateway.console.pages.public_notice import public_router
from kunruyi_gateway.web.csrf import CsrfProtected
from kunruyi_gateway.web.sessions import StaffSession
from kunruyi_gateway.web.setup import exc_to_problem, wants_html
from kunruyi_gateway.web.templating import render

__all__ = ["install_console", "public_router", "router"]

router = APIRouter(
    prefix="/console", tags=["工作台 console"], include_in_schema=False, dependencies=[CsrfProtected]
)


@router.get("", response_class=HTMLResponse)
async def home(session: StaffSession) -> Response:
    return RedirectResponse(f"/console/{roles.home_queue(list(session.roles))}", status_code=303)


for queue in (
    signin,
    tickets,
    applications,
    finance,
    broker,
    catalog,
    cockpit,
    activities,
    platforms,
    runs,
    partners,
    codes,
    deliveries,
    programs,
):
    router.include_router(queue.router)


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
