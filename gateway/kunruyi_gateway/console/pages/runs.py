"""免申即享 runs and the platform's background jobs: start, progress, cancel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console.auth import RunsDesk
from kunruyi_gateway.console.pages.common import calls_for, is_htmx, problem_status, problem_text, view_page
from kunruyi_gateway.console.views import runs as runs_views
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _runs_page(
    request: Request,
    session: SignedIn,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    partial = is_htmx(request) and request.method == "GET"
    template = "console/_jobs_list.html" if partial else "console/runs.html"
    return await view_page(
        request,
        session,
        template,
        runs_views.jobs_view(calls_for(request, session)),
        code=code,
        problems=problems,
        notice=notice,
        form=form or {},
        form_key=uuid.uuid4().hex,
    )


@router.get("/runs", response_class=HTMLResponse)
async def runs(request: Request, session: RunsDesk) -> HTMLResponse:
    return await _runs_page(request, session)


@router.post("/runs", response_class=HTMLResponse)
async def start_run(request: Request, session: RunsDesk) -> HTMLResponse:
    """Queue a 免申即享 run; its progress then shows (and refreshes) on the page."""
    form = await request.form()
    day = str(form.get("evaluation_date") or "")
    try:
        run = await runs_views.start_entitlement_run(
            calls_for(request, session), day, str(form.get("idempotency_key") or uuid.uuid4().hex)
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _runs_page(
            request, session, problems=[problem_text(exc)], code=code, form={"evaluation_date": day}
        )
    period = run.get("period") or ""
    note = (
        f"已排入后台任务：{period} 期间的免申即享全量批次"
        if run.get("created")
        else f"{period} 期间在当前目录下已有批次，下面是它的进度（同一期间不会重复兑现）"
    )
    return await _runs_page(request, session, notice=note)


@router.post("/runs/{job_id}/cancel", response_class=HTMLResponse)
async def cancel_run(request: Request, session: RunsDesk, job_id: uuid.UUID) -> HTMLResponse:
    try:
        await runs_views.cancel_job(calls_for(request, session), str(job_id))
    except UpstreamError as exc:
        return await _runs_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _runs_page(request, session, notice="已取消：已提交的分块保留，其余不再继续")
