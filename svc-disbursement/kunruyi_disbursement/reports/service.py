"""Totals and counts of disbursements paid, grouped by policy, department, district, month or mode — the seed's
"3.7万个项目 54亿元, 其中免申即享 1.1万个 14亿元" view — with CSV and XLSX export."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.directory.repository import titles_of
from kunruyi_disbursement.reports import repository
from kunruyi_disbursement.reports.schemas import GroupBy

GROUP_TITLES = {
    "policy": "政策",
    "department": "部门",
    "district": "区镇",
    "month": "月份",
    "mode": "兑现方式",
}


# The ways money is obtained (the ``mode`` grouping's keys).
MODE_TITLES = {"automatic": "免申即享", "quick": "即申即享", "application": "申报"}
_COUNTS = (
    "projects",
    "amount_fen",
    "automatic_projects",
    "automatic_amount_fen",
    "quick_projects",
    "quick_amount_fen",
)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def chinese_count(n: int) -> str:
    return f"{n / 10_000:.1f}万".replace(".0万", "万") if n >= 10_000 else str(n)


def chinese_amount(fen: int) -> str:
    value = fen // 100
    if value >= 100_000_000:
        return f"{value / 100_000_000:.1f}亿元".replace(".0亿", "亿")
    if value >= 10_000:
        return f"{value / 10_000:.1f}万元".replace(".0万", "万")
    return f"{yuan(fen)}元"


async def disbursement_report(
    session: AsyncSession, group_by: GroupBy, *, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any]:
    rows = await repository.settled_totals(session, group_by, date_from=date_from, date_to=date_to)
    items: list[dict[str, Any]] = [{"key": r.key, **{k: int(getattr(r, k)) for k in _COUNTS}} for r in rows]
    if group_by == "policy":
        titles = await titles_of(session, {i["key"] for i in items})
        for item in items:
            item["title"] = titles.get(item["key"])
    if group_by == "mode":
        for item in items:
            item["title"] = MODE_TITLES.get(item["key"])
    totals = {k: sum(i[k] for i in items) for k in _COUNTS}
    summary = (
        f"累计兑现 {chinese_count(totals['projects'])}个项目 {chinese_amount(totals['amount_fen'])}，"
        f"其中免申即享 {chinese_count(totals['automatic_projects'])}个 "
        f"{chinese_amount(totals['automatic_amount_fen'])}"
    )
    if totals["quick_projects"]:
        summary += f"，即申即享 {chinese_count(totals['quick_projects'])}个 {chinese_amount(totals['quick_amount_fen'])}"
    return {"group_by": group_by, "items": items, "totals": totals, "summary": summary}


def _figures(row: dict[str, Any]) -> list[Any]:
    """项目数, 金额, then 免申即享 and 即申即享 (项目数, 金额) — 申报 is the rest."""
    return [
        row["projects"],
        yuan(row["amount_fen"]),
        row["automatic_projects"],
        yuan(row["automatic_amount_fen"]),
        row["quick_projects"],
        yuan(row["quick_amount_fen"]),
    ]


def _table(report: dict[str, Any]) -> list[list[Any]]:
    by_policy = report["group_by"] == "policy"
    by_mode = report["group_by"] == "mode"
    header = [
        GROUP_TITLES[report["group_by"]],
        *(["政策名称"] if by_policy else []),
        "项目数",
        "金额（元）",
        "免申即享项目数",
        "免申即享金额（元）",
        "即申即享项目数",
        "即申即享金额（元）",
    ]
    body = [
        [
            # a way of obtaining money reads as its Chinese name (免申即享), not its key
            (i.get("title") or i["key"]) if by_mode else i["key"],
            *([i.get("title") or ""] if by_policy else []),
            *_figures(i),
        ]
        for i in report["items"]
    ]
    return [header, *body, ["合计", *([""] if by_policy else []), *_figures(report["totals"])]]


def to_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(_table(report))
    # The BOM makes Excel open the Chinese headers correctly.
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(report: dict[str, Any]) -> bytes:
    # openpyxl takes a noticeable part of a second to import: loaded on the first export, not at start-up.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "拨付统计"
    for row in _table(report):
        ws.append(
            [
                Decimal(c) if isinstance(c, str) and c.replace(".", "", 1).lstrip("-").isdigit() else c
                for c in row
            ]
        )
    ws.append([])
    ws.append([report["summary"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
