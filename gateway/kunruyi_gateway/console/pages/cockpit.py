"""The leaders' cockpit (指标驾驶舱) and the annual monitoring report: pages over ``console/views/cockpit.py``'s data."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from kunruyi_common.clock import local_today

from kunruyi_gateway.console import roles
from kunruyi_gateway.console.auth import CockpitDesk, IndicatorReporterDesk
from kunruyi_gateway.console.pages.common import XLSX, calls_for, page, problem_status, problem_text
from kunruyi_gateway.console.views import cockpit
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _cockpit_page(
    request: Request,
    session: SignedIn,
    *,
    problems: list[str] | None = None,
    code: int = 200,
    period: cockpit.Period | None = None,
) -> HTMLResponse:
    try:
        data = await cockpit.cockpit(
            calls_for(request, session), period or cockpit.Period(local_today().year)
        )
    except UpstreamError as exc:
        return await page(
            request,
            session,
            "console/cockpit.html",
            data=None,
            problems=[problem_text(exc)],
            status=problem_status(exc),
        )
    return await page(
        request, session, "console/cockpit.html", data=data, problems=problems or [], status=code
    )


@router.get("/cockpit", response_class=HTMLResponse)
async def cockpit_page(
    request: Request, session: CockpitDesk, year: str | None = None, quarter: str | None = None
) -> HTMLResponse:
    """The cockpit; ``year`` and ``quarter`` choose the period of the money charts (this year by default)."""
    period, problem = cockpit.period_of(year, quarter, local_today())
    return await _cockpit_page(
        request, session, period=period, problems=[problem] if problem else None, code=422 if problem else 200
    )


def _report_year(year: int | None) -> int:
    return year or local_today().year


@router.get("/cockpit/annual", response_class=HTMLResponse)
async def annual_report_page(request: Request, session: CockpitDesk, year: int | None = None) -> HTMLResponse:
    """年度监测分析, a printable page (the browser's print prints it without the console's chrome)."""
    try:
        report = await cockpit.annual(calls_for(request, session), _report_year(year))
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await page(request, session, "console/cockpit_annual.html", report=report)


@router.get("/cockpit/annual.xlsx")
async def annual_report_xlsx(request: Request, session: CockpitDesk, year: int | None = None) -> Response:
    chosen = _report_year(year)
    try:
        content = await calls_for(request, session).download(
            "talent", f"/api/v1/indicators/annual-reports/{chosen}/xlsx"
        )
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="indicators-{chosen}.xlsx"'},
    )


async def _indicator_page(
    request: Request,
    session: SignedIn,
    code: str,
    *,
    problems: list[str] | None = None,
    notice: str | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    try:
        detail = await cockpit.indicator(calls_for(request, session), code)
    except UpstreamError as exc:
        return await _cockpit_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    today = local_today()
    return await page(
        request,
        session,
        "console/cockpit_indicator.html",
        status=status,
        d=detail,
        problems=problems or [],
        notice=notice,
        units=cockpit.UNITS,
        may_report=roles.may_open("indicator_reports", list(session.roles)),
        form=form or {"quarter": f"{today.year}Q{(today.month - 1) // 3 + 1}", "unit": detail.get("unit")},
    )


@router.get("/cockpit/{code}", response_class=HTMLResponse)
async def indicator_page(request: Request, session: CockpitDesk, code: str) -> HTMLResponse:
    return await _indicator_page(request, session, code)


@router.post("/cockpit/{code}/reports", response_class=HTMLResponse)
async def report_indicator(request: Request, session: IndicatorReporterDesk, code: str) -> HTMLResponse:
    """A department's quarter value; svc-talent checks the department, the unit, the range and the quarter."""
    form = await request.form()
    entered = {k: str(form.get(k) or "").strip() for k in ("quarter", "value", "unit", "note")}
    try:
        value = float(entered["value"])
    except ValueError:
        return await _indicator_page(
            request, session, code, problems=["报送值须为数字（value）"], status=422, form=entered
        )
    try:
        made = await calls_for(request, session).call(
            "talent",
            "POST",
            f"/api/v1/indicators/{quote(code, safe='')}/reports",
            json={
                "quarter": entered["quarter"],
                "value": value,
                "unit": entered["unit"],
                "note": entered["note"],
            },
        )
    except UpstreamError as exc:
        return await _indicator_page(
            request, session, code, problems=[problem_text(exc)], status=problem_status(exc), form=entered
        )
    note = f"已报送 {made['quarter']} 第 {made['revision']} 版，待本部门另一人审核"
    return await _indicator_page(request, session, code, notice=note)


@router.post("/cockpit/{code}/reports/{report_id}/approve", response_class=HTMLResponse)
async def approve_indicator_report(
    request: Request, session: IndicatorReporterDesk, code: str, report_id: uuid.UUID
) -> HTMLResponse:
    try:
        done = await calls_for(request, session).call(
            "talent", "POST", f"/api/v1/indicators/{quote(code, safe='')}/reports/{report_id}/approve"
        )
    except UpstreamError as exc:
        return await _indicator_page(
            request, session, code, problems=[problem_text(exc)], status=problem_status(exc)
        )
    return await _indicator_page(
        request, session, code, notice=f"已审核 {done['quarter']} 第 {done['revision']} 版"
    )
