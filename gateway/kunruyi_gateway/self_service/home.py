"""The "我的" home page, and the policies the signed-in company or talent qualifies for (the calculator's answer)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.self_service.common import POLICY_CODE, STAGE_LABELS, calculator_section, own_calls, page
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SelfSession

router = APIRouter()


@router.get("/m/", response_class=HTMLResponse)
async def home(request: Request, session: SelfSession) -> HTMLResponse:
    offers: list[dict[str, Any]] = []
    if session.kind == "talent":
        # A housing offer waiting for an answer is the one thing with a deadline: shown first on 我的.
        mine = await own_calls(request, session).section(
            "talent", "GET", "/api/v1/housing/applications", params={"talent_id": session.subject}
        )
        offers = [a["offer"] for a in mine.items if isinstance(a, dict) and a.get("offer")]
    return await page(request, "self/home.html", session, "home", housing_offers=offers)


@router.get("/m/policies", response_class=HTMLResponse)
async def my_policies(request: Request, session: SelfSession) -> HTMLResponse:
    section = await calculator_section(request, session)
    shown = [r for r in section.items if r.get("status") in ("eligible", "needs_confirmation")]
    shown.sort(key=lambda r: (r.get("status") != "eligible", -(r.get("amount_fen") or 0)))
    return await page(request, "self/policies.html", session, "policies", section=section, results=shown)


@router.get("/m/policies/{code}", response_class=HTMLResponse)
async def policy_detail(code: str, request: Request, session: SelfSession) -> HTMLResponse:
    if not POLICY_CODE.match(code):
        return await page(request, "self/policy.html", session, "policies", policy=None, status=404)
    calls = own_calls(request, session)
    policy: Any = None
    try:
        policy = await calls.call("policy", "GET", f"/api/v1/policies/{quote(code, safe='')}")
    except UpstreamError as exc:
        if exc.status != 404:
            return await page(
                request, "self/policy.html", session, "policies", policy=None, unavailable=True, status=503
            )
    calculator = await calculator_section(request, session, [code])
    mine = next((r for r in calculator.items if r.get("policy_code") == code), None)
    return await page(
        request,
        "self/policy.html",
        session,
        "policies",
        policy=policy,
        mine=mine,
        stage_labels=STAGE_LABELS,
        status=200 if policy else 404,
    )
