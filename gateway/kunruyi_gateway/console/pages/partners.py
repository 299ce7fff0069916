"""Partner app keys (合作方密钥, admins): issue, rotate, disable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import ProblemError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.console.auth import AdminDesk
from kunruyi_gateway.console.pages.common import page, problem_text
from kunruyi_gateway.partners import service as partner_service
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _partners_page(
    request: Request,
    session: SignedIn,
    db: AsyncSession,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    issued: partner_service.IssuedSecret | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    keys = await partner_service.list_keys(db)
    response = await page(
        request,
        session,
        "console/partners.html",
        status=code,
        keys=keys,
        scopes=partner_service.SCOPE_TITLES,
        issued=issued,
        notice=notice,
        problems=problems or [],
        form=form or {},
        default_rate=request.app.state.settings.default_partner_rate,
    )
    # a secret is shown once: never kept by a cache or the browser's history
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/partners", response_class=HTMLResponse)
async def partners(request: Request, session: AdminDesk, db: SessionDep) -> HTMLResponse:
    return await _partners_page(request, session, db)


@router.post("/partners", response_class=HTMLResponse)
async def create_partner_key(request: Request, session: AdminDesk, db: SessionDep) -> HTMLResponse:
    """A new partner app key; its secret is shown on this page once."""
    form = await request.form()
    name = str(form.get("name") or "").strip()
    scopes = [str(s) for s in form.getlist("scopes")]
    rate = str(form.get("rate") or "").strip() or request.app.state.settings.default_partner_rate
    kept = {"name": name, "scopes": scopes, "rate": rate}
    if not name:
        return await _partners_page(request, session, db, problems=["请填写合作方名称"], code=422, form=kept)
    try:
        async with db.begin_nested():
            issued = await partner_service.create_key(
                db, request.app.state.settings.field_cipher(), name=name, scopes=scopes, rate=rate
            )
    except ProblemError as exc:
        return await _partners_page(
            request, session, db, problems=[problem_text(exc)], code=exc.status, form=kept
        )
    return await _partners_page(request, session, db, notice=f"已为“{name}”创建 AppKey", issued=issued)


@router.post("/partners/{app_key}/{action}", response_class=HTMLResponse)
async def change_partner_key(
    request: Request, session: AdminDesk, db: SessionDep, app_key: str, action: str
) -> HTMLResponse:
    """Rotate a key's secret (the old one stays valid for the overlap) or disable the key."""
    settings: Settings = request.app.state.settings
    if action not in ("rotate", "disable"):
        return await _partners_page(request, session, db, problems=["未知的操作"], code=404)
    issued = None
    try:
        async with db.begin_nested():
            if action == "rotate":
                issued = await partner_service.rotate_key(
                    db, settings.field_cipher(), app_key, overlap_s=settings.rotation_overlap_s
                )
            else:
                await partner_service.disable_key(db, app_key)
    except ProblemError as exc:
        return await _partners_page(request, session, db, problems=[problem_text(exc)], code=exc.status)
    request.app.state.gate.partners.forget(app_key)
    hours = settings.rotation_overlap_s // 3600
    note = (
        f"已轮换 {app_key} 的密钥；旧密钥在 {hours} 小时内仍可用"
        if action == "rotate"
        else f"已停用 {app_key}：此后用它签名的请求一律拒绝"
    )
    return await _partners_page(request, session, db, notice=note, issued=issued)
