"""The SMS delivery log (phones masked by svc-talent) and its statistics."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from kunruyi_gateway.console.exceptions import (
    InvalidDate,
)
from kunruyi_gateway.console.names import Calls
from kunruyi_gateway.console.views.common import (
    parse_time,
)

DELIVERY_STATUS = {
    "queued": "待发送",
    "sent": "已提交短信网关",
    "delivered": "已送达",
    "undelivered": "未送达",
    "failed": "发送失败",
}


async def deliveries_view(
    calls: Calls, *, status: str | None, date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    """svc-talent's SMS log (phones masked there) and its delivery statistics for a period (Beijing dates)."""
    params: dict[str, Any] = {"limit": 100}
    if status in DELIVERY_STATUS:
        params["status"] = status
    period: dict[str, Any] = {}
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value:
            try:
                period[name] = date.fromisoformat(value).isoformat()
            except ValueError:
                raise InvalidDate(f"日期“{value}”无效，请填写如 2026-06-30", field=name) from None
    log, stats = await asyncio.gather(
        calls.call("talent", "GET", "/api/v1/message-deliveries", params=params),
        calls.call("talent", "GET", "/api/v1/message-deliveries/stats", params=period),
    )
    rows = [
        {
            **d,
            "status_title": DELIVERY_STATUS.get(d.get("status") or "", d.get("status")),
            "created": parse_time(d.get("created_at")),
            "sent": parse_time(d.get("sent_at")),
        }
        for d in log.get("items", [])
    ]
    rate = stats.get("delivery_rate")
    return {
        "rows": rows,
        "stats": stats,
        "rate": f"{100 * rate:.1f}%" if rate is not None else "—",
        "filters": {
            "status": status or "",
            **{k: v or "" for k, v in (("date_from", date_from), ("date_to", date_to))},
        },
    }
