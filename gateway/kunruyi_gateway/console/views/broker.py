"""技术经纪人 (the brokers' queue): demands waiting for a broker, the broker's own with their pipeline, and KPIs,
from svc-matching."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from kunruyi_common.clock import local_today

from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.console.views.common import (
    fen_from_yuan,
    parse_date,
    parse_time,
    yuan,
)


@dataclass
class BrokerView:
    waiting: list[dict[str, Any]]
    mine: list[dict[str, Any]]
    counts: dict[str, int]
    # this year's 绩效 per broker (服务需求数、成交数、合同金额、奖励、成交天数中位数)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    kpi_period: str = ""


async def broker_view(calls: Calls, names: NameDirectory, *, is_broker: bool) -> BrokerView:
    queue = await calls.call("matching", "GET", "/api/v1/demands/queue", params={"limit": 100})
    mine_body: dict[str, Any] = {"items": []}
    if is_broker:
        try:
            mine_body = await calls.call(
                "matching", "GET", "/api/v1/demands", params={"mine": "true", "limit": 100}
            )
        except Exception:
            mine_body = {"items": []}
    demands = [q["demand"] for q in queue.get("items", [])] + list(mine_body.get("items", []))
    entity = await names.entity_names(calls, [("enterprise", d["enterprise_uscc"]) for d in demands])

    def row(d: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": d["id"],
            "title": d.get("title"),
            "company": entity.get(("enterprise", d["enterprise_uscc"])) or "—",
            "industry_chain": d.get("industry_chain"),
            "stage": d.get("stage") or d.get("status"),
            "deadline": parse_date(d.get("deadline")),
            # Filed under the company's code by someone not signed in as it (a 昆e服 visitor).
            "unverified": d.get("submitter_verified") is False,
        }

    waiting = [
        {**row(q["demand"]), "why": q.get("detail"), "since": parse_time(q.get("waiting_since"))}
        for q in queue.get("items", [])
    ]
    mine_items = list(mine_body.get("items", []))
    period = str(local_today().year)
    engagements, kpis = await asyncio.gather(
        asyncio.gather(
            *(calls.call("matching", "GET", f"/api/v1/demands/{d['id']}/engagement") for d in mine_items)
        ),
        calls.call("matching", "GET", "/api/v1/brokers/kpis", params={"period": period}),
    )
    mine = [{**row(d), **_pipeline(e)} for d, e in zip(mine_items, engagements, strict=True)]
    kpi_rows = [
        {
            **k,
            "contract_amount": yuan(k.get("contract_amount_fen")),
            "reward": yuan(k.get("reward_fen")),
        }
        for k in kpis.get("items", [])
    ]
    return BrokerView(
        waiting=waiting,
        mine=mine,
        counts={"待分配": len(waiting), "我承接的": len(mine)},
        kpis=kpi_rows,
        kpi_period=period,
    )


def _pipeline(engagement: dict[str, Any]) -> dict[str, Any]:
    """A demand's place in the pipeline: the next stage a broker may record, and the stages so far."""
    nexts = [s for s in engagement.get("allowed_next", []) if s != "assigned"]
    labels: dict[str, str] = engagement.get("allowed_next_labels") or {}
    return {
        "stage_title": engagement.get("stage_label"),
        "next_stage": nexts[0] if nexts else None,
        "next_title": labels.get(nexts[0], nexts[0]) if nexts else None,
        "contract_number": engagement.get("contract_number"),
        "contract_amount": yuan(engagement.get("contract_amount_fen"))
        if engagement.get("contract_amount_fen")
        else None,
        "history": [
            {
                "title": h.get("label") or h.get("stage"),
                "at": parse_time(h.get("at")),
                "note": h.get("note"),
            }
            for h in engagement.get("history", [])
        ],
    }


async def record_stage(
    calls: Calls,
    demand_id: str,
    stage: str,
    *,
    note: str | None,
    contract_number: str | None,
    contract_amount: str | None,
) -> dict[str, Any]:
    """The broker records the next stage of a demand's pipeline; a technical contract's registration carries its
    number and amount (typed in 元)."""
    body: dict[str, Any] = {"stage": stage}
    if note:
        body["note"] = note
    if stage == "contract_registered":
        body["contract_number"] = contract_number or None
        body["contract_amount_fen"] = (
            fen_from_yuan(contract_amount, field="contract_amount") if contract_amount else None
        )
    result: dict[str, Any] = await calls.call(
        "matching", "POST", f"/api/v1/demands/{demand_id}/stages", json=body
    )
    return result


async def claim_or_release(calls: Calls, demand_id: str, action: str, note: str | None = None) -> None:
    """A broker claims a waiting demand, or releases one back to the queue (with a note)."""
    body = {"note": note} if action == "release" and note else None
    await calls.call("matching", "POST", f"/api/v1/demands/{demand_id}/{action}", json=body)
