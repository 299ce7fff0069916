"""年度监测分析: the year's picture of every indicator (its last quarter in the year with a value, the linear path,
the status, the year's four quarters), as JSON, and as the XLSX workbook the leaders' report is made from."""

from __future__ import annotations

from collections import Counter
from io import BytesIO

from kunruyi_common.clock import local_today
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.indicators import service
from kunruyi_talent.indicators.definitions import INDICATORS, PLAN_START_YEAR
from kunruyi_talent.indicators.exceptions import BadYear
from kunruyi_talent.indicators.schemas import STATUS_NAMES, AnnualReport, AnnualRow

KIND_NAMES = {"computed": "平台计算", "reported": "部门报送"}
FILLS = {"on_track": "C6EFCE", "behind": "FFEB9C", "at_risk": "FFC7CE", "no_data": "EEEEEE"}


async def build(session: AsyncSession, year: int) -> AnnualReport:
    today = local_today()
    if not PLAN_START_YEAR <= year <= today.year:
        raise BadYear(f"年度须在 {PLAN_START_YEAR} 至 {today.year} 之间", field="year")
    quarters = [q for q in service.plan_quarters(today) if q[0] <= year]
    rows = []
    for d in INDICATORS:
        detail = await service.detail(session, d.code, quarters=quarters)
        in_year = [v for v in detail.quarters if v.quarter.startswith(str(year))]
        rows.append(AnnualRow(**service.summary_fields(detail), year_quarters=in_year))
    counts: Counter[str] = Counter(r.status for r in rows)
    return AnnualReport(
        year=year,
        as_of=today.isoformat(),
        counts={k: counts.get(k, 0) for k in STATUS_NAMES},
        items=rows,
    )


def _num(value: float | None) -> float | str:
    if value is None:
        return "—"
    return int(value) if float(value).is_integer() else round(value, 2)


def to_xlsx(report: AnnualReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{report.year}年度监测分析"
    ws.append([f"昆山人才科创发展行动计划（2022~2025年）{report.year} 年度监测分析"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"截至 {report.as_of}；进度正常 {report.counts['on_track']} 项、略有滞后 {report.counts['behind']} 项、"
            f"存在风险 {report.counts['at_risk']} 项、暂无数据 {report.counts['no_data']} 项"
        ]
    )
    header = [
        "类别", "指标", "单位", "牵头部门", "来源", "基数", f"{report.items[0].target_year if report.items else ''}年目标",
        "季度", "实际", "线性进度应达", "完成目标比例", "状态", "Q1", "Q2", "Q3", "Q4", "指标代码",
    ]  # fmt: skip
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r in report.items:
        by_q = {v.quarter[-2:]: v.actual for v in r.year_quarters}
        ws.append(
            [
                r.group, r.name, r.unit, r.department, KIND_NAMES[r.kind], _num(r.baseline), _num(r.target),
                r.quarter or "—", _num(r.actual), _num(r.expected),
                f"{r.progress * 100:.1f}%" if r.progress is not None else "—", r.status_name,
                *(_num(by_q.get(f"Q{n}")) for n in range(1, 5)), r.code,
            ]
        )  # fmt: skip
        ws.cell(row=ws.max_row, column=12).fill = PatternFill("solid", fgColor=FILLS[r.status])
    for col, width in zip(
        "ABCDEFGHIJKLMNOPQ", (10, 36, 6, 12, 9, 10, 10, 9, 10, 12, 12, 10, 9, 9, 9, 9, 20), strict=True
    ):
        ws.column_dimensions[col].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
