"""昆e服 codes: bulk issue as a background job, print sheets, coverage, revocation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import ProblemError
from kunruyi_common.jobs import db_now
from kunruyi_common.taxonomy import TAXONOMY
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.code_batches import service as code_batches
from kunruyi_gateway.console.auth import ServiceCodeDesk
from kunruyi_gateway.console.pages.common import calls_for, page, problem_text
from kunruyi_gateway.console.views import codes as codes_views
from kunruyi_gateway.service_codes import service as code_service
from kunruyi_gateway.service_codes.access import may_manage
from kunruyi_gateway.service_codes.service import qr_svg as qr_image_svg
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _codes_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    *,
    qualification: str = "high_tech",
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    lines: str = "",
    batch: list[str] | None = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    if qualification not in codes_views.COVERAGE_QUALIFICATIONS:
        qualification = "high_tech"
    listed = await code_service.list_codes(db, limit=100)
    codes = [code_service.to_out(settings, c) for c in listed]
    # 作废 is offered on the codes of the officer's own department (admins: every code).
    manageable = {c.id for c in listed if may_manage(session, c.department)}
    coverage: dict[str, Any] | None = None
    try:
        companies = await codes_views.companies_with(calls_for(request, session), qualification)
    except UpstreamError as exc:
        problems = [*(problems or []), f"企业档案暂不可用，无法统计覆盖情况：{problem_text(exc)}"]
    else:
        covered = await code_service.covered_targets(db, [c["uscc"] for c in companies])
        missing = [c for c in companies if c["uscc"] not in covered]
        coverage = {
            "qualification": qualification,
            "title": TAXONOMY.qualifications.display(qualification),
            "total": len(companies),
            "covered": len(companies) - len(missing),
            "missing": missing[:50],
            "missing_count": len(missing),
            "missing_lines": "\n".join(
                f"{c['uscc']}\t{c['name']}" + (f"\t{c['industry_chain']}" if c.get("industry_chain") else "")
                for c in missing[:200]
            ),
        }
    return await page(
        request,
        session,
        "console/codes.html",
        status=code,
        codes=codes,
        manageable=manageable,
        coverage=coverage,
        qualifications={q: TAXONOMY.qualifications.display(q) for q in codes_views.COVERAGE_QUALIFICATIONS},
        notice=notice,
        problems=problems or [],
        lines=lines,
        batch=batch or [],
    )


@router.get("/codes", response_class=HTMLResponse)
async def codes(
    request: Request, session: ServiceCodeDesk, db: SessionDep, qualification: str = "high_tech"
) -> HTMLResponse:
    return await _codes_page(request, session, db, qualification=qualification)


@router.post("/codes/bulk", response_class=HTMLResponse, response_model=None)
async def issue_codes(request: Request, session: ServiceCodeDesk, db: SessionDep) -> Response:
    """Codes for a list of companies pasted from a sheet: every line checked first (one bad line and nothing is
    issued, each bad line named); then a background batch is queued and the officer follows its progress."""
    form = await request.form()
    lines = str(form.get("lines") or "")
    wanted, problems = code_service.parse_bulk_lines(lines)
    if not wanted and not problems:
        problems = ["请粘贴企业清单：每行“统一社会信用代码 名称 [产业链]”"]
    if problems:
        return await _codes_page(request, session, db, problems=problems, code=422, lines=lines)
    job = await code_batches.enqueue(db, [body for _, body in wanted], session, source="console")
    return RedirectResponse(f"/console/codes/batches/{job.id}", status_code=303)


async def _batch_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    job_id: uuid.UUID,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
) -> HTMLResponse:
    job = await code_batches.get(db, job_id)
    batch = code_batches.public(job, await db_now(db))
    first = (
        [str(c.id) for c in (await code_batches.issued(db, job_id))[:60]] if job.status == "succeeded" else []
    )
    return await page(
        request,
        session,
        "console/codes_batch.html",
        status=code,
        batch=batch,
        live=job.status in ("queued", "running"),
        may_cancel=may_manage(session, job.department),
        printable=first,
        notice=notice,
        problems=problems or [],
    )


@router.get("/codes/batches/{job_id}", response_class=HTMLResponse)
async def code_batch(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> HTMLResponse:
    """A batch's progress (the page reloads itself while it runs), then its download and print sheet."""
    try:
        return await _batch_page(request, session, db, job_id)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)


@router.post("/codes/batches/{job_id}/cancel", response_class=HTMLResponse)
async def cancel_code_batch(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> HTMLResponse:
    try:
        async with db.begin_nested():
            job = await code_batches.cancel(db, job_id, session)
    except ProblemError as exc:
        return await _batch_page(request, session, db, job_id, problems=[problem_text(exc)], code=exc.status)
    return await _batch_page(
        request, session, db, job_id, notice=f"已取消：已生成的 {job.done} 个码保留，其余不再生成"
    )


@router.get("/codes/batches/{job_id}/codes.csv", response_model=None)
async def code_batch_csv(
    request: Request, session: ServiceCodeDesk, db: SessionDep, job_id: uuid.UUID
) -> Response:
    """The batch's codes as a sheet (名称、编号、二维码地址) to hand out."""
    try:
        await code_batches.get(db, job_id)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    settings: Settings = request.app.state.settings
    return Response(
        code_batches.as_csv(settings, await code_batches.issued(db, job_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kunefu-codes-{job_id}.csv"'},
    )


@router.get("/codes/print", response_class=HTMLResponse)
async def print_codes(
    request: Request, session: ServiceCodeDesk, db: SessionDep, id: Annotated[list[uuid.UUID], Query()]
) -> HTMLResponse:
    """A printable sheet of the codes asked for: each QR with the company's name, to cut and post."""
    settings: Settings = request.app.state.settings
    sheet = []
    for code_id in id[:60]:
        try:
            c = await code_service.get(db, code_id)
        except ProblemError:
            continue
        out = code_service.to_out(settings, c)
        svg = qr_image_svg(out.url).decode()
        sheet.append({"name": out.name, "target": out.target, "svg": Markup(svg[svg.index("<svg") :])})
    return await page(request, session, "console/codes_print.html", sheet=sheet)


@router.post("/codes/{code_id}/revoke", response_class=HTMLResponse)
async def revoke_code(
    request: Request, session: ServiceCodeDesk, db: SessionDep, code_id: uuid.UUID
) -> HTMLResponse:
    try:
        async with db.begin_nested():
            revoked = await code_service.revoke(db, code_id, session)
    except ProblemError as exc:
        return await _codes_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    return await _codes_page(
        request, session, db, notice=f"已作废“{revoked.name}”的昆e服码，扫码将显示已失效"
    )
