"""The technology-broker desk (技术需求): demands by stage, claim and release."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console.auth import BrokerOrOfficerDesk
from kunruyi_gateway.console.pages.common import calls_for, names_of, problem_status, problem_text, view_page
from kunruyi_gateway.console.views import broker as broker_views
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _broker_page(
    request: Request,
    session: SignedIn,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {"notice": notice, "is_broker": "broker" in session.roles}
    return await view_page(
        request,
        session,
        "console/broker.html",
        broker_views.broker_view(
            calls_for(request, session), names_of(request), is_broker="broker" in session.roles
        ),
        code=code,
        problems=problems,
        **ctx,
    )


@router.get("/broker", response_class=HTMLResponse)
async def broker(request: Request, session: BrokerOrOfficerDesk) -> HTMLResponse:
    return await _broker_page(request, session)


@router.post("/broker/demands/{demand_id}/stage", response_class=HTMLResponse)
async def broker_stage(request: Request, session: BrokerOrOfficerDesk, demand_id: uuid.UUID) -> HTMLResponse:
    """The broker records the next stage of a demand it holds (推荐对接 → 洽谈 → 签约 → 技术合同登记 → 成交); svc-matching
    checks the order, the holder and the contract number."""
    form = await request.form()
    stage = str(form.get("stage") or "")
    try:
        recorded = await broker_views.record_stage(
            calls_for(request, session),
            str(demand_id),
            stage,
            note=str(form.get("note") or "").strip() or None,
            contract_number=str(form.get("contract_number") or "").strip() or None,
            contract_amount=str(form.get("contract_amount") or "").strip() or None,
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _broker_page(request, session, problems=[problem_text(exc)], code=code)
    return await _broker_page(request, session, notice=f"已记录：{recorded.get('stage_label') or stage}")


@router.post("/broker/demands/{demand_id}/{action}", response_class=HTMLResponse)
async def claim_or_release(
    request: Request, session: BrokerOrOfficerDesk, demand_id: uuid.UUID, action: str
) -> HTMLResponse:
    if action not in ("claim", "release"):
        return await _broker_page(request, session, problems=["未知的操作"], code=404)
    form = await request.form()
    try:
        await broker_views.claim_or_release(
            calls_for(request, session), str(demand_id), action, str(form.get("note") or "").strip() or None
        )
    except UpstreamError as exc:
        return await _broker_page(request, session, problems=[problem_text(exc)], code=problem_status(exc))
    return await _broker_page(
        request, session, notice="已认领" if action == "claim" else "已释放，需求回到待分配队列"
    )
