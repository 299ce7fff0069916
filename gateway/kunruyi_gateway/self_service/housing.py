"""人才公寓: a talent's housing applications, applying, and answering an offer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kunruyi_gateway.self_service.common import own_calls, page
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SelfSession, SignedIn
from kunruyi_gateway.web.templating import yuan

router = APIRouter()


async def _housing(request: Request, session: SignedIn, **extra: Any) -> HTMLResponse:
    calls = own_calls(request, session)
    projects = await calls.section("talent", "GET", "/api/v1/housing/projects")
    mine = await calls.section(
        "talent", "GET", "/api/v1/housing/applications", params={"talent_id": session.subject}
    )
    options = [
        (
            str(p.get("code")),
            f"{p.get('name')}（{p.get('district')}，月租 {yuan(p.get('monthly_rent_fen'))}）",
        )
        for p in projects.items
    ]
    return await page(
        request,
        "self/housing.html",
        session,
        "housing",
        projects=projects,
        mine=mine,
        project_options=options,
        project_names={str(p.get("code")): str(p.get("name")) for p in projects.items},
        **extra,
    )


@router.get("/m/housing", response_class=HTMLResponse)
async def my_housing(request: Request, session: SelfSession) -> HTMLResponse:
    if session.kind != "talent":
        return await page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    return await _housing(request, session)


@router.post("/m/housing/apply", response_class=HTMLResponse)
async def apply_housing(request: Request, session: SelfSession, project_code: str = Form("")) -> Response:
    if session.kind != "talent":
        return await page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    try:
        await own_calls(request, session).call(
            "talent",
            "POST",
            "/api/v1/housing/applications",
            json={"talent_id": session.subject, "project_code": project_code},
        )
    except UpstreamError as exc:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        return await _housing(
            request, session, field_errors={"project_code": detail or "申请未能提交，请稍后再试"}
        )
    return RedirectResponse("/m/housing?applied=1", status_code=303)


@router.post("/m/housing/offers/{offer_id}/{decision}", response_class=HTMLResponse)
async def answer_offer(offer_id: str, decision: str, request: Request, session: SelfSession) -> Response:
    if session.kind != "talent" or decision not in ("accept", "decline"):
        return await page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    try:
        uuid.UUID(offer_id)
        await own_calls(request, session).call(
            "talent", "POST", f"/api/v1/housing/offers/{offer_id}/{decision}"
        )
    except (ValueError, UpstreamError) as exc:
        detail = (
            exc.body.get("detail") if isinstance(exc, UpstreamError) and isinstance(exc.body, dict) else None
        )
        return await _housing(request, session, errors=[detail or "未能答复配租通知，请稍后再试"])
    return RedirectResponse(f"/m/housing?{decision}ed=1", status_code=303)
