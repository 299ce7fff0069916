"""The leaders' cockpit (指标驾驶舱) over svc-talent's indicator system: every indicator with its target, actual,
status and trend; one indicator's quarters, districts, reported values and approvals; the annual monitoring
report (年度监测分析). The gateway only shows: values, statuses and the four-eyes rule are svc-talent's."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kunruyi_gateway.web.calls import PageCalls, UpstreamError

STATUS_CLASS = {"on_track": "ok", "behind": "wait", "at_risk": "bad", "no_data": "muted"}
KIND_NAMES = {"computed": "平台计算", "reported": "部门报送"}
UNITS = ("家", "人", "名", "个", "项", "件", "套", "%", "万元", "亿元")


# The ways money is obtained, in the order the charts show them (svc-disbursement's report keys).
MODES = (("automatic", "免申即享"), ("quick", "即申即享"), ("application", "申报"))


@dataclass(frozen=True)
class Period:
    """The year, or one quarter of it, the money charts cover (Beijing dates, as svc-disbursement counts them)."""

    year: int
    quarter: int | None = None

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.quarter else f"{self.year}年全年"

    @property
    def date_from(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def date_to(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)


def period_of(year: str | None, quarter: str | None, today: date) -> tuple[Period, str | None]:
    """The period asked for, or this year and the reason when what was asked is not a year/quarter that began."""
    default = Period(today.year)
    if not year and not quarter:
        return default, None
    try:
        chosen = Period(int(year or today.year), int(quarter) if quarter else None)
    except ValueError:
        return default, "年份或季度不是数字（year / quarter），已显示今年"
    if not 2022 <= chosen.year <= today.year or chosen.quarter not in (None, 1, 2, 3, 4):
        return default, f"年份须在 2022–{today.year} 之间、季度须为 1–4（year / quarter），已显示今年"
    if chosen.date_from > today:
        return default, f"{chosen.label}尚未开始（quarter），已显示今年"
    return chosen, None


def wan(fen: int) -> float:
    """分 → 万元, two decimals (the charts' unit)."""
    return round(fen / 1_000_000, 2)


def yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


async def money(calls: PageCalls, period: Period) -> dict[str, Any]:
    """Money paid (settled) in the period by mode and by department, from svc-disbursement's report — the same
    figures as its ledger. A role the report refuses (e.g. a broker) sees why instead of the charts."""
    params = {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat()}
    try:
        by_mode, by_department = await asyncio.gather(
            calls.call(
                "disbursement", "GET", "/api/v1/reports/disbursements", params={**params, "group_by": "mode"}
            ),
            calls.call(
                "disbursement",
                "GET",
                "/api/v1/reports/disbursements",
                params={**params, "group_by": "department"},
            ),
        )
    except UpstreamError as exc:
        reason = "您的角色无权查看资金统计" if exc.status == 403 else "资金统计暂不可用，请稍后再试"
        return {"period": period, "problem": reason}
    amounts = {i["key"]: (int(i["amount_fen"]), int(i["projects"])) for i in by_mode.get("items", [])}
    modes: list[dict[str, Any]] = []
    for key, name in MODES:
        fen, projects = amounts.get(key, (0, 0))
        modes.append(
            {"key": key, "name": name, "amount_fen": fen, "projects": projects, "amount_text": yuan_text(fen)}
        )
    departments: list[dict[str, Any]] = []
    for row in by_department.get("items", []):
        automatic, quick = int(row["automatic_amount_fen"]), int(row["quick_amount_fen"])
        total = int(row["amount_fen"])
        departments.append(
            {
                "name": row["key"],
                "projects": int(row["projects"]),
                "amount_fen": total,
                "amount_text": yuan_text(total),
                "parts": {"automatic": automatic, "quick": quick, "application": total - automatic - quick},
            }
        )
    total_fen = int(by_mode.get("totals", {}).get("amount_fen", 0))
    return {
        "period": period,
        "problem": None,
        "total_text": yuan_text(total_fen),
        "summary": by_mode.get("summary"),
        "modes": modes,
        "departments": departments,
        "mode_chart": json.dumps(
            {
                "type": "pie",
                "unit": "万元",
                "items": [{"name": m["name"], "value": wan(m["amount_fen"])} for m in modes],
            },
            ensure_ascii=False,
        ),
        "department_chart": json.dumps(
            {
                "type": "stack",
                "unit": "万元",
                "x": [d["name"] for d in departments],
                "series": [
                    {"name": name, "data": [wan(d["parts"][key]) for d in departments]} for key, name in MODES
                ],
            },
            ensure_ascii=False,
        ),
    }


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


async def cockpit(calls: PageCalls, period: Period) -> dict[str, Any]:
    """Every indicator (with its trend), for the companies' indicators the districts, and the money paid in the
    period by mode and by department."""
    listing, paid = await asyncio.gather(
        calls.call("talent", "GET", "/api/v1/indicators"), money(calls, period)
    )
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
        "money": paid,
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
