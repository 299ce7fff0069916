"""The growth ladder (成长阶梯): 科技型中小企业 → 高新技术企业 → 专精特新 → 瞪羚 → 独角兽培育 → 上市.

The stage is the highest rung the enterprise holds a valid qualification for (小巨人 counts as 专精特新); the
certificates are the facts, not our estimate. For the next rung we check the latest yearly figures against the
rung's thresholds (simplified from the national and provincial recognition rules) and list what is still missing;
when every threshold is met, what is missing is the recognition itself ("待申报认定").

Thresholds (money in yuan, ratios of revenue, "years" since founding):
- tech_sme 科技型中小企业: employees ≤ 500, revenue ≤ 2 亿, R&D ratio ≥ 3 %.
- high_tech 高新技术企业: founded ≥ 1 year, ≥ 1 invention patent, R&D ratio ≥ 5 % (revenue ≤ 5000 万),
  4 % (≤ 2 亿) or 3 % (above), high-tech revenue ≥ 60 %.
- specialized_sme 专精特新: founded ≥ 2 years, revenue ≥ 1000 万, R&D ratio ≥ 3 %, ≥ 2 invention patents.
- gazelle 瞪羚: founded ≤ 10 years, revenue ≥ 1000 万, revenue growth over the previous year ≥ 20 %.
- unicorn_candidate 独角兽培育: founded ≤ 10 years, revenue ≥ 1 亿, growth ≥ 30 %, ≥ 5 invention patents.
- listed 上市: revenue ≥ 3 亿, tax paid ≥ 1000 万, then the listing itself (辅导备案 → 上市).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

YUAN = 100  # fen per yuan
WAN = 10_000 * YUAN

LADDER: tuple[str, ...] = (
    "tech_sme",
    "high_tech",
    "specialized_sme",
    "gazelle",
    "unicorn_candidate",
    "listed",
)
STAGE_LABELS: dict[str, str] = {
    "none": "未入梯队",
    "tech_sme": "科技型中小企业",
    "high_tech": "高新技术企业",
    "specialized_sme": "专精特新",
    "gazelle": "瞪羚企业",
    "unicorn_candidate": "独角兽培育企业",
    "listed": "上市企业",
}
# Qualifications that count as a rung they are not literally named after.
_RUNG_OF = {"little_giant": "specialized_sme"}


@dataclass(frozen=True)
class Facts:
    founded_on: date | None
    employees: int
    invention_patents: int
    revenue_fen: int | None
    previous_revenue_fen: int | None
    rd_expense_fen: int | None
    tax_paid_fen: int | None
    high_tech_revenue_ratio: float | None
    qualifications: frozenset[str]
    today: date


@dataclass
class Growth:
    stage: str
    stage_label: str
    next_stage: str | None
    next_stage_label: str | None
    ready_for_next: bool
    missing: list[dict[str, str]] = field(default_factory=list)


def _years(founded_on: date | None, today: date) -> int | None:
    if founded_on is None:
        return None
    years = today.year - founded_on.year - ((today.month, today.day) < (founded_on.month, founded_on.day))
    return max(years, 0)


def rd_ratio(rd_expense_fen: int | None, revenue_fen: int | None) -> float:
    if not revenue_fen or rd_expense_fen is None:
        return 0.0
    return round(rd_expense_fen / revenue_fen, 4)


def stage_of(qualifications: frozenset[str]) -> str:
    held = {_RUNG_OF.get(q, q) for q in qualifications}
    stage = "none"
    for rung in LADDER:
        if rung in held:
            stage = rung
    return stage


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _check(rung: str, f: Facts) -> list[dict[str, str]]:
    missing: list[dict[str, str]] = []

    def need(rule: str, ok: bool, message: str) -> None:
        if not ok:
            missing.append({"rule": rule, "message": message})

    years = _years(f.founded_on, f.today)
    revenue = f.revenue_fen
    ratio = rd_ratio(f.rd_expense_fen, revenue)
    if revenue is None:
        missing.append({"rule": "figures", "message": "缺少年度经营数据（营收、研发投入、纳税）"})
        return missing
    growth = (revenue - f.previous_revenue_fen) / f.previous_revenue_fen if f.previous_revenue_fen else None

    if rung == "tech_sme":
        need("employees", f.employees <= 500, f"职工总数 {f.employees} 人，需 ≤ 500 人")
        need("revenue", revenue <= 20_000 * WAN, f"年营收 {revenue // WAN} 万元，需 ≤ 2 亿元")
        need("rd_ratio", ratio >= 0.03, f"研发费用占比 {_pct(ratio)}，需 ≥ 3%")
    elif rung == "high_tech":
        threshold = 0.05 if revenue <= 5_000 * WAN else 0.04 if revenue <= 20_000 * WAN else 0.03
        need("founded_years", years is not None and years >= 1, "注册成立需满 1 年")
        need("invention_patents", f.invention_patents >= 1, "需拥有至少 1 件发明专利等核心知识产权")
        need("rd_ratio", ratio >= threshold, f"研发费用占比 {_pct(ratio)}，需 ≥ {_pct(threshold)}")
        htr = f.high_tech_revenue_ratio or 0.0
        need("high_tech_revenue_ratio", htr >= 0.6, f"高新技术产品收入占比 {_pct(htr)}，需 ≥ 60%")
    elif rung == "specialized_sme":
        need("founded_years", years is not None and years >= 2, "注册成立需满 2 年")
        need("revenue", revenue >= 1_000 * WAN, f"年营收 {revenue // WAN} 万元，需 ≥ 1000 万元")
        need("rd_ratio", ratio >= 0.03, f"研发费用占比 {_pct(ratio)}，需 ≥ 3%")
        need("invention_patents", f.invention_patents >= 2, f"发明专利 {f.invention_patents} 件，需 ≥ 2 件")
    elif rung == "gazelle":
        need("founded_years", years is None or years <= 10, "成立年限需在 10 年以内")
        need("revenue", revenue >= 1_000 * WAN, f"年营收 {revenue // WAN} 万元，需 ≥ 1000 万元")
        need(
            "revenue_growth",
            growth is not None and growth >= 0.2,
            "营收同比增长需 ≥ 20%" + ("" if growth is None else f"（当前 {_pct(growth)}）"),
        )
    elif rung == "unicorn_candidate":
        need("founded_years", years is None or years <= 10, "成立年限需在 10 年以内")
        need("revenue", revenue >= 10_000 * WAN, f"年营收 {revenue // WAN} 万元，需 ≥ 1 亿元")
        need(
            "revenue_growth",
            growth is not None and growth >= 0.3,
            "营收同比增长需 ≥ 30%" + ("" if growth is None else f"（当前 {_pct(growth)}）"),
        )
        need("invention_patents", f.invention_patents >= 5, f"发明专利 {f.invention_patents} 件，需 ≥ 5 件")
    elif rung == "listed":
        need("revenue", revenue >= 30_000 * WAN, f"年营收 {revenue // WAN} 万元，需 ≥ 3 亿元")
        tax = f.tax_paid_fen or 0
        need("tax_paid", tax >= 1_000 * WAN, f"年纳税 {tax // WAN} 万元，需 ≥ 1000 万元")
    return missing


def evaluate(f: Facts) -> Growth:
    stage = stage_of(f.qualifications)
    index = LADDER.index(stage) if stage in LADDER else -1
    if index + 1 >= len(LADDER):
        return Growth(stage, STAGE_LABELS[stage], None, None, False, [])
    nxt = LADDER[index + 1]
    missing = _check(nxt, f)
    ready = not missing
    if ready:
        message = "指标已达标，待申报认定" if nxt != "listed" else "指标已达标，可启动上市辅导备案"
        missing = [{"rule": "recognition", "message": message}]
    return Growth(stage, STAGE_LABELS[stage], nxt, STAGE_LABELS[nxt], ready, missing)
