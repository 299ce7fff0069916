"""申报: the signed-in record's applications, a new one (with attachments), its timeline, and answering a request for supplements."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.clock import local_today

from kunruyi_gateway.self_service.common import (
    ATTACHMENT_TYPES,
    FORM_ID,
    MAX_ATTACHMENTS,
    POLICY_CODE,
    STAGE_ORDER,
    TIMELINE,
    calculator_section,
    entity_type,
    own_calls,
    page,
    scoped_calls,
)
from kunruyi_gateway.web.calls import PageCalls, UpstreamError, multipart_body
from kunruyi_gateway.web.sessions import SelfSession, SignedIn

router = APIRouter()


async def _own_application(request: Request, session: SignedIn, application_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(application_id)
    except ValueError:
        return None
    calls = scoped_calls(request, session, "disbursement:read")
    try:
        found = await calls.call("disbursement", "GET", f"/api/v1/applications/{application_id}")
    except UpstreamError:
        return None
    if not isinstance(found, dict):
        return None
    owner = str(found.get("applicant_id") or "")
    return found if owner.upper() == session.subject.upper() else None


@router.get("/m/applications", response_class=HTMLResponse)
async def my_applications(request: Request, session: SelfSession) -> HTMLResponse:
    listed = await scoped_calls(request, session, "disbursement:read").section(
        "disbursement", "GET", "/api/v1/applications", params={"applicant_id": session.subject, "limit": 50}
    )
    calculator = await calculator_section(request, session)
    appliable = [
        r
        for r in calculator.items
        if r.get("mode") in ("application", "quick") and r.get("status") in ("eligible", "needs_confirmation")
    ]
    return await page(
        request, "self/applications.html", session, "applications", listed=listed, appliable=appliable
    )


def _apply_form(policy_code: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "policy_code": policy_code,
        "period": (form or {}).get("period") or str(local_today().year),
        "form_id": (form or {}).get("form_id") or uuid.uuid4().hex,
    }


async def _open_for_applications(request: Request, session: SignedIn, code: str) -> dict[str, Any] | None:
    """The policy ``code`` names when it takes applications online (在线申报 or 即申即享); None otherwise, or when
    it cannot be read now."""
    if not POLICY_CODE.match(code):
        return None
    try:
        found = await own_calls(request, session).call(
            "policy", "GET", f"/api/v1/policies/{quote(code, safe='')}"
        )
    except UpstreamError:
        return None
    return found if isinstance(found, dict) and found.get("mode") in ("application", "quick") else None


@router.get("/m/applications/new", response_class=HTMLResponse)
async def new_application(request: Request, session: SelfSession, policy: str = "") -> HTMLResponse:
    found = await _open_for_applications(request, session, policy)
    if found is None:
        return await page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=None,
            form=_apply_form(policy),
            errors=["请从“我的政策”或“在线申报”中选择一项可在线申报的政策"],
            status=404,
        )
    return await page(
        request, "self/apply.html", session, "applications", policy=found, form=_apply_form(policy)
    )


async def _check_files(
    files: list[UploadFile], max_bytes: int
) -> tuple[list[tuple[str, str, bytes]], str | None]:
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_ATTACHMENTS:
        return [], f"一次最多上传 {MAX_ATTACHMENTS} 个材料"
    out = []
    for f in chosen:
        content_type = (f.content_type or "").split(";")[0].strip().lower()
        if content_type not in ATTACHMENT_TYPES:
            return [], f"“{f.filename}”不是照片或 PDF（支持 JPG、PNG、HEIC、WEBP、PDF）"
        content = await f.read(max_bytes + 1)
        if not content:
            return [], f"“{f.filename}”是空文件"
        if len(content) > max_bytes:
            return [], f"“{f.filename}”超过 {max_bytes // (1024 * 1024)} MB"
        out.append((f.filename or "attachment", content_type, content))
    return out, None


async def _upload(calls: PageCalls, application_id: str, files: list[tuple[str, str, bytes]]) -> str | None:
    for filename, content_type, content in files:
        body, multipart_type = multipart_body("file", filename, content_type, content)
        try:
            await calls.call(
                "disbursement",
                "POST",
                f"/api/v1/applications/{application_id}/attachments",
                body=body,
                content_type=multipart_type,
                timeout_s=30.0,
            )
        except UpstreamError as exc:
            detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
            return f"材料“{filename}”未能上传：{detail or '服务暂不可用'}"
    return None


_ATTACHMENT_LIMIT = 8 * 1024 * 1024


@router.post("/m/applications", response_class=HTMLResponse)
async def submit_application(
    request: Request,
    session: SelfSession,
    policy_code: str = Form(""),
    period: str = Form(""),
    form_id: str = Form(""),
    photos: list[UploadFile] | None = None,
    files: list[UploadFile] | None = None,
) -> Response:
    form = {"period": period.strip(), "form_id": form_id if FORM_ID.match(form_id) else ""}
    policy = await _open_for_applications(request, session, policy_code)
    field_errors: dict[str, str] = {}
    if policy is None:
        field_errors["policy_code"] = "这项政策不能在线申报"
    if not re.fullmatch(r"\d{4}", form["period"]):
        field_errors["period"] = "请填写申报年度（4 位数字，如 2026）"
    picked, file_error = await _check_files([*(photos or []), *(files or [])], _ATTACHMENT_LIMIT)
    if file_error:
        field_errors["files"] = file_error
    if field_errors:
        return await page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=policy,
            form=_apply_form(policy_code, form),
            field_errors=field_errors,
            status=422,
        )
    calls = scoped_calls(request, session, "disbursement:write")
    payload = {
        "policy_code": policy_code,
        "applicant_type": entity_type(session),
        "applicant_id": session.subject,
        "period": form["period"],
        "channel": "api",
    }
    try:
        created = await calls.call(
            "disbursement",
            "POST",
            "/api/v1/applications",
            json=payload,
            idempotency_key=f"m-apply-{form['form_id']}" if form["form_id"] else None,
        )
    except UpstreamError as exc:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        field = exc.body.get("field") if isinstance(exc.body, dict) else None
        key = field if field in ("period", "policy_code") else "policy_code"
        return await page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=policy,
            form=_apply_form(policy_code, form),
            field_errors={key: f"申报未能提交：{detail or '服务暂不可用，请稍后再试'}"},
            status=exc.status if exc.status and 400 <= exc.status < 500 else 503,
        )
    application_id = str(created["id"])
    upload_error = await _upload(calls, application_id, picked)
    target = f"/m/applications/{application_id}?submitted=1"
    if upload_error:
        target += "&upload_failed=1"
    return RedirectResponse(target, status_code=303)


@router.get("/m/applications/{application_id}", response_class=HTMLResponse)
async def application_detail(
    application_id: str, request: Request, session: SelfSession, submitted: str = "", upload_failed: str = ""
) -> HTMLResponse:
    found = await _own_application(request, session, application_id)
    if found is None:
        return await page(request, "self/application.html", session, "applications", app=None, status=404)
    at = STAGE_ORDER.get(str(found.get("status")), -1)
    timeline = [
        {
            "label": label,
            "state": "done" if i < at or (i == at and i == 5) else "current" if i == at else "todo",
        }
        for i, (_, label) in enumerate(TIMELINE)
    ]
    flash = "申报已提交，请留意审核进度" if submitted else None
    errors = ["申报已提交，但有材料未能上传，请在下方补充上传"] if upload_failed else None
    return await page(
        request,
        "self/application.html",
        session,
        "applications",
        app=found,
        timeline=timeline,
        flash=flash,
        errors=errors,
    )


@router.post("/m/applications/{application_id}/supplement", response_class=HTMLResponse)
async def answer_supplement(
    application_id: str,
    request: Request,
    session: SelfSession,
    photos: list[UploadFile] | None = None,
    files: list[UploadFile] | None = None,
) -> Response:
    found = await _own_application(request, session, application_id)
    if found is None:
        return await page(request, "self/application.html", session, "applications", app=None, status=404)
    picked, file_error = await _check_files([*(photos or []), *(files or [])], _ATTACHMENT_LIMIT)
    if not picked and not file_error:
        file_error = "请拍照或选择要补正的材料"
    if file_error or found.get("status") != "supplement_required":
        return await page(
            request,
            "self/application.html",
            session,
            "applications",
            app=found,
            timeline=[],
            field_errors={"files": file_error or "这份申报现在不需要补正"},
            status=422,
        )
    calls = scoped_calls(request, session, "disbursement:write")
    upload_error = await _upload(calls, application_id, picked)
    if upload_error is None:
        try:
            await calls.call(
                "disbursement", "POST", f"/api/v1/applications/{application_id}/resubmit", json={}
            )
        except UpstreamError as exc:
            detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
            upload_error = f"补正未能提交：{detail or '服务暂不可用'}"
    if upload_error:
        return await page(
            request,
            "self/application.html",
            session,
            "applications",
            app=found,
            timeline=[],
            field_errors={"files": upload_error},
            status=422,
        )
    return RedirectResponse(f"/m/applications/{application_id}?submitted=1", status_code=303)
