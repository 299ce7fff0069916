"""What every console page shares: the navigation, the calls made as the signed-in staff member, the layout a
page is rendered in, and how a service's refusal is put into words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.console.roles import ROLE_TITLES, may_open
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.sessions import SignedIn
from kunruyi_gateway.web.templating import render

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


def names_of(request: Request) -> NameDirectory:
    names: NameDirectory | None = getattr(request.app.state, "console_names", None)
    if names is None:
        names = request.app.state.console_names = NameDirectory()
    return names


def calls_for(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.for_session(request, session)


def is_htmx(request: Request) -> bool:
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


async def page(
    request: Request, session: SignedIn, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    roles = list(session.roles)
    context.setdefault("problems", [])
    return await render(
        request,
        template,
        status=status,
        nav=[(key, label) for key, label in NAV if may_open(key, roles)],
        role_titles="、".join(ROLE_TITLES.get(r, r) for r in roles),
        is_admin="admin" in roles,
        **context,
    )


async def view_page(
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
        return await page(
            request,
            session,
            template,
            status=problem_status(exc),
            view=None,
            problems=[*(problems or []), problem_text(exc)],
            **context,
        )
    context.update(from_view(view) if from_view else {})
    return await page(request, session, template, status=code, view=view, problems=problems or [], **context)


async def form_fields(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}


# The spreadsheets the console hands out (the catalog sheet, the service lists, the annual report).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
