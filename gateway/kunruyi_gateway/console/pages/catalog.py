"""The policy catalog as a sheet (政策目录): export, import as a background job, publication; and the admins' overview (总览)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.clock import local_today

from kunruyi_gateway.console.auth import AdminDesk, CatalogDesk
from kunruyi_gateway.console.pages.common import XLSX, calls_for, names_of, page, problem_status, problem_text
from kunruyi_gateway.console.views import overview as overview_views
from kunruyi_gateway.web.calls import UpstreamError, multipart_body
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


CATALOG_MAX_BYTES = 10 * 1024 * 1024


async def _catalog_page(
    request: Request,
    session: SignedIn,
    *,
    report: dict[str, Any] | None = None,
    row_errors: list[dict[str, Any]] | None = None,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    import_job: dict[str, Any] | None = None,
) -> HTMLResponse:
    drafts = await calls_for(request, session).section(
        "policy", "GET", "/api/v1/policies", params={"status": "draft", "limit": 100}
    )
    pending = [*(report or {}).get("created", []), *(report or {}).get("drafted", [])]
    return await page(
        request,
        session,
        "console/catalog.html",
        status=code,
        report=report,
        row_errors=row_errors or [],
        pending=pending if report and report.get("written") else [],
        drafts=drafts,
        notice=notice,
        problems=problems or [],
        today=local_today().isoformat(),
        form_key=uuid.uuid4().hex,
        import_job=import_job,
    )


@router.get("/catalog", response_class=HTMLResponse)
async def catalog(request: Request, session: CatalogDesk) -> HTMLResponse:
    return await _catalog_page(request, session)


@router.get("/catalog/export.xlsx")
async def catalog_export(request: Request, session: CatalogDesk) -> Response:
    """The department's catalog (an admin's: all of it) as the sheet the import takes back."""
    try:
        content = await calls_for(request, session).download(
            "policy", "/api/v1/policy-catalog/export", params={"format": "xlsx"}
        )
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="policy-catalog.xlsx"'},
    )


@router.post("/catalog/import", response_class=HTMLResponse, response_model=None)
async def catalog_import(request: Request, session: CatalogDesk) -> Response:
    """Check a sheet (dry run: the report at once, every bad row listed by row and column), or queue its import:
    svc-policy answers 202 with a background job, and the officer follows it on the import's page."""
    form = await request.form()
    upload = form.get("file")
    dry_run = form.get("dry_run") is not None
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _catalog_page(
            request, session, problems=["请选择要导入的表格文件（XLSX 或 CSV）"], code=422
        )
    content = await upload.read(CATALOG_MAX_BYTES + 1)
    if len(content) > CATALOG_MAX_BYTES:
        return await _catalog_page(request, session, problems=["表格超过 10 MB"], code=413)
    body, content_type = multipart_body(
        "file",
        upload.filename,
        upload.content_type or "application/octet-stream",
        content,
        fields={"dry_run": "true" if dry_run else "false"},
    )
    try:
        report = await calls_for(request, session).call(
            "policy",
            "POST",
            "/api/v1/policy-catalog/imports",
            body=body,
            content_type=content_type,
            timeout_s=60.0,
        )
    except UpstreamError as exc:
        return await _catalog_refused(request, session, exc.body, problem_text(exc), problem_status(exc))
    if report.get("kind") == "catalog_import":
        return RedirectResponse(f"/console/catalog/imports/{report['id']}", status_code=303)
    return await _catalog_report(request, session, report)


async def _catalog_refused(
    request: Request, session: SignedIn, problem: Any, text: str, status: int
) -> HTMLResponse:
    """A refused sheet: the problem's row report on the page."""
    detail = problem if isinstance(problem, dict) else {}
    rows = [e for e in detail.get("errors") or [] if isinstance(e, dict) and "row" in e]
    return await _catalog_page(
        request, session, row_errors=rows, problems=[str(detail.get("detail") or text)], code=status
    )


async def _catalog_report(
    request: Request, session: SignedIn, report: dict[str, Any], import_job: dict[str, Any] | None = None
) -> HTMLResponse:
    row_errors = [{**e, "message": e.get("reason")} for e in report.get("errors") or []]
    if row_errors:
        return await _catalog_page(
            request,
            session,
            report=report,
            row_errors=row_errors,
            problems=[f"表格有 {len(row_errors)} 处问题（试导入，未写入），请修改后重新上传"],
            code=422,
        )
    if report.get("written"):
        notice = (
            f"已导入：新建 {len(report['created'])} 项、新草稿版本 {len(report['drafted'])} 项、"
            f"目录信息更新 {len(report['catalog_updated'])} 项、未变 {report['unchanged']} 项。草稿须发布后才生效。"
        )
    else:
        notice = (
            f"校验通过（未写入）：将新建 {len(report['created'])} 项、新草稿版本 {len(report['drafted'])} 项、"
            f"目录信息更新 {len(report['catalog_updated'])} 项、未变 {report['unchanged']} 项。"
        )
    return await _catalog_page(request, session, report=report, notice=notice, import_job=import_job)


@router.get("/catalog/imports/{job_id}", response_class=HTMLResponse)
async def catalog_import_job(request: Request, session: CatalogDesk, job_id: uuid.UUID) -> HTMLResponse:
    """An import's page: its progress while it runs (the panel reloads itself), then its report — the drafts to
    publish, or every bad row when the sheet was refused (nothing written)."""
    try:
        job = await calls_for(request, session).call("policy", "GET", f"/api/v1/jobs/{job_id}")
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    result = job.get("result") or {}
    if job["status"] == "failed" and isinstance(result.get("problem"), dict):
        problem = result["problem"]
        return await _catalog_refused(request, session, problem, str(problem.get("detail")), 422)
    if job["status"] == "succeeded" and result:
        return await _catalog_report(request, session, result, import_job=job)
    notice = None
    if job["status"] == "cancelled":
        notice = f"导入已取消：已写入的 {job['done']} 行草稿保留（草稿须发布后才生效），其余未写入"
    problems = [f"导入失败：{job.get('error') or ''}"] if job["status"] == "failed" else None
    return await _catalog_page(request, session, notice=notice, problems=problems, import_job=job)


@router.post("/catalog/imports/{job_id}/cancel", response_class=HTMLResponse)
async def catalog_import_cancel(request: Request, session: CatalogDesk, job_id: uuid.UUID) -> HTMLResponse:
    try:
        job = await calls_for(request, session).call("policy", "POST", f"/api/v1/jobs/{job_id}/cancel")
    except UpstreamError as exc:
        return await _catalog_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _catalog_page(
        request,
        session,
        notice=f"导入已取消：已写入的 {job['done']} 行草稿保留（草稿须发布后才生效），其余未写入",
        import_job=job,
    )


@router.post("/catalog/{code}/publish", response_class=HTMLResponse)
async def catalog_publish(request: Request, session: CatalogDesk, code: str) -> HTMLResponse:
    """Publish a draft with its effective date (the service checks the department and the date)."""
    form = await request.form()
    effective_from = str(form.get("effective_from") or "").strip()
    try:
        version = await calls_for(request, session).call(
            "policy",
            "POST",
            f"/api/v1/policies/{quote(code, safe='')}/publish",
            json={"effective_from": effective_from},
            idempotency_key=str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except UpstreamError as exc:
        return await _catalog_page(
            request, session, problems=[f"{code}：{problem_text(exc)}"], code=problem_status(exc)
        )
    return await _catalog_page(
        request,
        session,
        notice=f"已发布 {code} 第 {version.get('version')} 版，自 {version.get('effective_from')} 起生效",
    )


@router.get("/overview", response_class=HTMLResponse)
async def overview(request: Request, session: AdminDesk) -> HTMLResponse:
    data = await overview_views.overview(calls_for(request, session), names_of(request))
    return await page(request, session, "console/overview.html", data=data)
