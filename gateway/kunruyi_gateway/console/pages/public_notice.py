"""The public 公示 page: applications under public notice, readable by anyone, with the channel for objections."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.console.pages.common import names_of, problem_text
from kunruyi_gateway.console.views import applications as applications_views
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.templating import render

public_router = APIRouter(tags=["公示"], include_in_schema=False)


@public_router.get("/public-notice", response_class=HTMLResponse)
async def public_notice_page(request: Request) -> HTMLResponse:
    """Applications under 公示 (public notice), readable by anyone, with the channel for objections."""
    reader = PageCalls.as_service(request, "gateway-public-notice", "公示页面", scopes=["disbursement:read"])
    names_reader = PageCalls.as_service(request, "gateway-public-notice", "公示页面")
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        rows = await applications_views.public_notice(_Split(reader, names_reader), names_of(request))
    except UpstreamError as exc:
        problems = [f"公示名单暂不可用，请稍后再试（{problem_text(exc)}）"]
    return await render(
        request, "console/public_notice.html", rows=rows, problems=problems, session=None, csrf_token=""
    )


class _Split:
    """The public page reads applications as a read-only partner-like identity and everything else (catalog,
    registry names) as the gateway's page service."""

    def __init__(self, applications: PageCalls, others: PageCalls) -> None:
        self.applications, self.others = applications, others

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        target = self.applications if service == "disbursement" else self.others
        return await target.call(
            service, method, path, json=json, params=params, idempotency_key=idempotency_key
        )
