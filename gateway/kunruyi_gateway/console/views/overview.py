"""The administrators' overview: counts across the hub."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any

from kunruyi_common.clock import local_today

from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.console.views.applications import APPLICATION_STATUS
from kunruyi_gateway.console.views.common import (
    parse_date,
)
from kunruyi_gateway.console.views.finance import DISBURSEMENT_STATUS
from kunruyi_gateway.console.views.tickets import TICKET_STATUS


async def overview(calls: Calls, names: NameDirectory) -> dict[str, Any]:
    """Counts across the hub; a section whose service is down shows as unavailable, not as a failed page."""

    async def safe(coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:
            return exc

    tickets, applications, disbursements, queue = await asyncio.gather(
        safe(calls.call("talent", "GET", "/api/v1/tickets", params={"limit": 200})),
        safe(calls.call("disbursement", "GET", "/api/v1/applications", params={"limit": 200})),
        safe(
            calls.call(
                "disbursement",
                "GET",
                "/api/v1/disbursements",
                params={"status": "pending_approval", "limit": 200},
            )
        ),
        safe(calls.call("matching", "GET", "/api/v1/demands/queue", params={"limit": 200})),
    )
    today = local_today()

    def count(body: Any, label: str, by: str, titles: dict[str, str]) -> dict[str, Any]:
        if isinstance(body, Exception):
            return {"label": label, "error": "暂不可用"}
        items = body.get("items", [])
        return {
            "label": label,
            "total": len(items),
            "by": dict(Counter(titles.get(i.get(by, ""), i.get(by, "")) for i in items)),
        }

    sections = [
        count(tickets, "诉求工单", "status", TICKET_STATUS),
        count(applications, "兑现申报", "status", APPLICATION_STATUS),
        count(disbursements, "待审批拨付", "status", DISBURSEMENT_STATUS),
    ]
    if isinstance(queue, Exception):
        sections.append({"label": "待分配技术需求", "error": "暂不可用"})
    else:
        sections.append({"label": "待分配技术需求", "total": len(queue.get("items", [])), "by": {}})
    overdue = 0
    if not isinstance(tickets, Exception):
        overdue = sum(
            1
            for t in tickets.get("items", [])
            if t.get("overdue")
            or (
                t.get("status") in ("submitted", "accepted", "in_progress")
                and (parse_date(t.get("deadline")) or date.max) < today
            )
        )
    return {
        "sections": sections,
        "overdue_tickets": overdue,
        "departments": await safe(names.departments(calls)),
    }
