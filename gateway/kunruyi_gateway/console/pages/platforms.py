"""科创平台: svc-talent's platform records on the console."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.taxonomy import TAXONOMY

from kunruyi_gateway.console.auth import PlatformDesk
from kunruyi_gateway.console.pages.common import calls_for, page, problem_text
from kunruyi_gateway.web.calls import UpstreamError

router = APIRouter()


@router.get("/platforms", response_class=HTMLResponse)
async def platforms(request: Request, session: PlatformDesk, kind: str | None = None) -> HTMLResponse:
    """Platforms with their host company, level, expiry and last yearly review; a filter by kind."""
    chosen = (kind or "").strip() or None
    problems: list[str] = []
    status = 200
    listed: list[dict[str, Any]] = []
    try:
        found = await calls_for(request, session).call(
            "talent", "GET", "/api/v1/platforms", params={"kind": chosen} if chosen else None
        )
        listed = list(found.get("items") or []) if isinstance(found, dict) else []
    except UpstreamError as exc:
        problems = [problem_text(exc)]
        status = exc.status if exc.status and 400 <= exc.status < 500 else 503
    return await page(
        request,
        session,
        "console/platforms.html",
        status=status,
        listed=listed,
        problems=problems,
        kinds=[(t.code, t.name) for t in TAXONOMY.platform_kinds],
        chosen=chosen,
    )
