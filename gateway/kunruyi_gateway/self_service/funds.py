"""资金: the money paid to the signed-in company or talent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.self_service.common import own_calls, page
from kunruyi_gateway.web.sessions import SelfSession

router = APIRouter()


@router.get("/m/funds", response_class=HTMLResponse)
async def my_funds(request: Request, session: SelfSession) -> HTMLResponse:
    listed = await own_calls(request, session).section(
        "disbursement", "GET", "/api/v1/disbursements", params={"entity_id": session.subject, "limit": 100}
    )
    settled = sum(int(d.get("amount_fen") or 0) for d in listed.items if d.get("status") == "settled")
    return await page(request, "self/funds.html", session, "funds", listed=listed, settled_fen=settled)
