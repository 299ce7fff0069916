"""The SMS delivery log (短信发送记录, admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.console.auth import DeliveriesDesk
from kunruyi_gateway.console.pages.common import calls_for, view_page
from kunruyi_gateway.console.views import deliveries as deliveries_views

router = APIRouter()


@router.get("/deliveries", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    session: DeliveriesDesk,
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> HTMLResponse:
    filters = {"status": status or "", "date_from": date_from or "", "date_to": date_to or ""}
    return await view_page(
        request,
        session,
        "console/deliveries.html",
        deliveries_views.deliveries_view(
            calls_for(request, session), status=status, date_from=date_from or None, date_to=date_to or None
        ),
        filters=filters,
        statuses=deliveries_views.DELIVERY_STATUS,
        from_view=lambda view: {"filters": view["filters"]},
    )
