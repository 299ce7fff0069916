"""The leaders' cockpit (指标驾驶舱) over svc-talent's indicator system: every indicator with its target, actual,
status and trend; one indicator's quarters, districts, reported values and approvals; the annual monitoring
report (年度监测分析). The gateway only shows: values, statuses and the four-eyes rule are svc-talent's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kunruyi_gateway.web.calls import PageCalls

STATUS_CLASS = {"on_track": "ok", "behind": "wait", "at_risk": "bad", "no_data": "muted"}
KIND_NAMES = {"computed": "平台计算", "reported": "部门报送"}
UNITS = ("家", "人", "名", "个", "项", "件", "套", "%", "万元", "亿元")


def number(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return f"{int(v):,}" if v.is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def trend_chart(detail: dict[str, Any]) -> str:
    """The ECharts data of a trend against the linear path and the target (read by static/web/cockpit.js)."""
    quarters = detail.get("quarters") or []
    return json.dumps(
        {
            "type": "trend",
            "unit": detail.get("unit"),
            "x": [q["quarter"] for q in quarters],
            "actual": [q["actual"] for q in quarters],
            "expected": [q["expected"] for q in quarters],
            "target": detail.get("target"),
        },
        ensure_ascii=False,
    )


def district_chart(detail: dict[str, Any]) -> str:
    rows = detail.get("by_district") or []
    return json.dumps(
        {
            "type": "bars",
            "unit": detail.get("unit"),
            "x": [r["district_name"] for r in rows],
            "y": [r["actual"] for r in rows],
        },
        ensure_ascii=False,
    )


def decorate(item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    item["status_class"] = STATUS_CLASS.get(item.get("status", ""), "muted")
    item["kind_name"] = KIND_NAMES.get(item.get("kind", ""), item.get("kind", ""))
    item["actual_text"] = number(item.get("actual"))
    item["target_text"] = number(item.get("target"))
    item["baseline_text"] = number(item.get("baseline"))
    item["expected_text"] = number(item.get("expected"))
    progress = item.get("progress")
    item["progress_text"] = f"{progress * 100:.1f}%" if progress is not None else "—"
    return item


async def cockpit(calls: PageCalls) -> dict[str, Any]:
    """Every indicator (with its trend) and, for the companies' indicators, the districts."""
    listing = await calls.call("talent", "GET", "/api/v1/indicators")
    items = [decorate(i) for i in listing.get("items", [])]
    details = await asyncio.gather(
        *(calls.call("talent", "GET", f"/api/v1/indicators/{i['code']}") for i in items)
    )
    groups: dict[str, list[dict[str, Any]]] = {}
    for item, detail in zip(items, details, strict=True):
        item["trend"] = trend_chart(detail)
        groups.setdefault(item.get("group") or "其他", []).append(item)
    by_code = {i["code"]: d for i, d in zip(items, details, strict=True)}
    districts = by_code.get("high_tech_valid")
    ladder = [
        {"name": i["name"], "value": i.get("actual") or 0}
        for code in ("unicorn_candidate", "gazelle", "specialized_sme", "high_tech_valid")
        for i in items
        if i["code"] == code
    ]
    counts: dict[str, int] = {}
    for i in items:
        counts[i["status_name"]] = counts.get(i["status_name"], 0) + 1
    return {
        "as_of": listing.get("as_of"),
        "groups": groups,
        "counts": counts,
        "districts": district_chart(districts) if districts else None,
        "ladder": json.dumps({"type": "pyramid", "items": ladder}, ensure_ascii=False),
    }


async def indicator(calls: PageCalls, code: str) -> dict[str, Any]:
    detail = decorate(await calls.call("talent", "GET", f"/api/v1/indicators/{code}"))
    detail["trend"] = trend_chart(detail)
    detail["district_chart"] = district_chart(detail) if detail.get("by_district") else None
    for r in detail.get("reports") or []:
        r["value_text"] = number(r.get("value"))
    return detail


async def annual(calls: PageCalls, year: int) -> dict[str, Any]:
    report = await calls.call("talent", "GET", f"/api/v1/indicators/annual-reports/{year}")
    report["items"] = [decorate(i) for i in report.get("items", [])]
    for item in report["items"]:
        item["year_values"] = {q["quarter"][-2:]: number(q["actual"]) for q in item.get("year_quarters", [])}
    return dict(report)
