"""The indicator system: quarters, values (computed or reported), the linear path to the target and the status.

Status against the linear path from the baseline (2021 年末) to the target (2025 年末), quarter by quarter:
expected(q) = baseline + (target − baseline) × q / 16. With ratio = (actual − baseline) / (expected − baseline):

- ``on_track`` (进度正常): ratio ≥ 0.95 — within 5 % of the path, or ahead of it;
- ``behind`` (略有滞后): 0.80 ≤ ratio < 0.95;
- ``at_risk`` (存在风险): ratio < 0.80;
- ``no_data``: no value yet (a reported indicator nobody has approved a value for).

A ``rate`` (service desk) has no path: its target holds every quarter — on track at or above it, behind within 5
percentage points, at risk below that.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today, utc_now
from kunruyi_common.errors import OtherDepartment
from kunruyi_common.pii_text import mask_pii
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.indicators import repository
from kunruyi_talent.indicators.definitions import (
    BASELINE_DATE,
    BY_CODE,
    INDICATORS,
    PLAN_START_YEAR,
    IndicatorDef,
)
from kunruyi_talent.indicators.exceptions import (
    AlreadyApproved,
    BadQuarter,
    IndicatorNotFound,
    IndicatorNotReported,
    ReportNotFound,
    SamePerson,
    ValueOutOfRange,
    WrongUnit,
)
from kunruyi_talent.indicators.schemas import (
    STATUS_NAMES,
    DistrictValue,
    IndicatorDetail,
    IndicatorList,
    IndicatorSummary,
    QuarterValue,
    ReportIn,
    ReportOut,
    Status,
)
from kunruyi_talent.models import IndicatorReport

ON_TRACK = 0.95
BEHIND = 0.80
RATE_SLACK = 5.0

Quarter = tuple[int, int]
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_of(day: date) -> Quarter:
    return day.year, (day.month - 1) // 3 + 1


def quarter_end(q: Quarter) -> date:
    year, n = q
    return (
        date(year + 1, 1, 1) - timedelta(days=1) if n == 4 else date(year, 3 * n + 1, 1) - timedelta(days=1)
    )


def label(q: Quarter) -> str:
    return f"{q[0]}Q{q[1]}"


def plan_quarters(today: date | None = None) -> list[Quarter]:
    """2022Q1 … the current quarter."""
    last = quarter_of(today or local_today())
    out: list[Quarter] = []
    year, n = PLAN_START_YEAR, 1
    while (year, n) <= last:
        out.append((year, n))
        year, n = (year + 1, 1) if n == 4 else (year, n + 1)
    return out


def parse_quarter(value: str, today: date | None = None) -> Quarter:
    """A quarter a value may be reported for: 2022Q1 … the current quarter; else 422 naming ``quarter``."""
    m = _QUARTER.match(value.strip().upper())
    if m is None:
        raise BadQuarter(f"季度“{value[:12]}”格式有误，应为如 2025Q3", field="quarter")
    q = (int(m.group(1)), int(m.group(2)))
    current = quarter_of(today or local_today())
    if q > current:
        raise BadQuarter(f"{label(q)} 尚未开始，只能报送 {label(current)} 及以前的季度", field="quarter")
    if q < (PLAN_START_YEAR, 1):
        raise BadQuarter(f"行动计划自 {PLAN_START_YEAR}Q1 起监测", field="quarter")
    return q


def indicator(code: str) -> IndicatorDef:
    d = BY_CODE.get(code)
    if d is None:
        raise IndicatorNotFound(f"没有代码为 {code[:40]} 的指标", field="code")
    return d


def expected(d: IndicatorDef, baseline: float, q: Quarter) -> float:
    if d.measure == "rate":
        return d.target
    total = (d.target_year - BASELINE_DATE.year) * 4
    elapsed = min((q[0] - BASELINE_DATE.year - 1) * 4 + q[1], total)
    return round(baseline + (d.target - baseline) * elapsed / total, 2)


def status(d: IndicatorDef, baseline: float, actual: float | None, want: float) -> Status:
    if actual is None:
        return "no_data"
    if d.measure == "rate":
        if actual >= d.target:
            return "on_track"
        return "behind" if actual >= d.target - RATE_SLACK else "at_risk"
    gain = want - baseline
    if gain <= 0 or actual >= want:
        return "on_track"
    ratio = (actual - baseline) / gain
    if ratio >= ON_TRACK:
        return "on_track"
    return "behind" if ratio >= BEHIND else "at_risk"


class Series:
    """One indicator's values: per quarter (total) and per 区镇 for the last quarter."""

    def __init__(self, baseline: float, totals: dict[Quarter, float], districts: dict[str, float]) -> None:
        self.baseline = baseline
        self.totals = totals
        self.districts = districts


async def _computed(session: AsyncSession, d: IndicatorDef, quarters: list[Quarter]) -> Series:
    ends = [BASELINE_DATE, *(quarter_end(q) for q in quarters)]
    if d.source in ("desk_reply_rate", "desk_solve_rate"):
        desk = await repository.desk_rates(session, ends[1:])
        totals: dict[Quarter, float] = {}
        for q in quarters:
            received, replied, resolved = desk.get(quarter_end(q), (0, 0, 0))
            if received:
                part = replied if d.source == "desk_reply_rate" else resolved
                totals[q] = round(100.0 * part / received, 1)
        return Series(0.0, totals, {})
    if d.source in repository.QUALIFICATION_KINDS:
        grid = await repository.qualified(session, repository.QUALIFICATION_KINDS[d.source], ends)
    elif d.source in ("talent_total", "high_level_talent"):
        grid = await repository.talents(session, ends, high_level=d.source == "high_level_talent")
    elif d.source == "platforms" or d.source.startswith("platforms:"):
        grid = await repository.platforms(session, d.source.partition(":")[2] or None, ends)
    elif d.source == "housing_units":
        grid = await repository.housing_units(session, ends)
    elif d.source == "payouts":
        grid = await repository.payouts_wan(session, ends)
    elif d.source == "challenges":
        grid = await repository.challenges(session, ends)
    else:  # pragma: no cover - a definition naming no computation is a programming error
        raise AssertionError(d.source)
    at_base = grid.get(BASELINE_DATE, {})
    base_total = sum(at_base.values())
    shift = base_total if d.measure == "increase" else 0.0
    totals = {q: round(sum(grid.get(quarter_end(q), {}).values()) - shift, 2) for q in quarters}
    last = grid.get(quarter_end(quarters[-1]), {}) if quarters else {}
    districts = {
        k: round(v - (at_base.get(k, 0.0) if d.measure == "increase" else 0.0), 2)
        for k, v in last.items()
        if k
    }
    baseline = 0.0 if d.measure == "increase" else base_total
    return Series(baseline, totals, districts)


def _approved_by_quarter(rows: list[IndicatorReport]) -> dict[Quarter, float]:
    """The latest approved revision per quarter."""
    out: dict[Quarter, tuple[int, float]] = {}
    for r in rows:
        if r.approved_at is None:
            continue
        q = (r.year, r.quarter)
        if q not in out or r.revision > out[q][0]:
            out[q] = (r.revision, r.value)
    return {q: v for q, (_, v) in out.items()}


def _summary(d: IndicatorDef, series: Series, quarters: list[Quarter]) -> IndicatorSummary:
    known = [q for q in quarters if q in series.totals]
    q = known[-1] if known else (quarters[-1] if quarters else None)
    actual = series.totals.get(q) if q else None
    want = expected(d, series.baseline, q) if q else None
    st = status(d, series.baseline, actual, want) if want is not None else "no_data"
    progress = None
    if actual is not None and d.target != series.baseline:
        progress = round((actual - series.baseline) / (d.target - series.baseline), 4)
    return IndicatorSummary(
        code=d.code,
        name=d.name,
        group=d.group,
        unit=d.unit,
        kind=d.kind,
        measure=d.measure,
        department=d.department,
        baseline=series.baseline,
        target=d.target,
        target_year=d.target_year,
        quarter=label(q) if q else None,
        actual=actual,
        expected=want,
        progress=progress,
        status=st,
        status_name=STATUS_NAMES[st],
    )


async def _series(session: AsyncSession, d: IndicatorDef, quarters: list[Quarter]) -> Series:
    if d.kind == "computed":
        return await _computed(session, d, quarters)
    rows = list(await repository.reports(session, d.code))
    return Series(d.baseline, _approved_by_quarter(rows), {})


async def overview(session: AsyncSession) -> IndicatorList:
    quarters = plan_quarters()
    items = [_summary(d, await _series(session, d, quarters), quarters) for d in INDICATORS]
    return IndicatorList(as_of=local_today().isoformat(), items=items)


def report_out(r: IndicatorReport) -> ReportOut:
    return ReportOut(
        id=r.id,
        quarter=label((r.year, r.quarter)),
        revision=r.revision,
        value=r.value,
        note=r.note,
        department=r.department,
        submitted_by=r.submitted_by,
        submitted_name=r.submitted_name,
        submitted_at=r.submitted_at,
        approved_by=r.approved_by,
        approved_name=r.approved_name,
        approved_at=r.approved_at,
        approved=r.approved_at is not None,
    )


def summary_fields(detail: IndicatorDetail) -> dict[str, object]:
    return IndicatorSummary.model_validate(detail.model_dump()).model_dump()


async def detail(
    session: AsyncSession, code: str, *, quarters: list[Quarter] | None = None
) -> IndicatorDetail:
    d = indicator(code)
    quarters = quarters if quarters is not None else plan_quarters()
    series = await _series(session, d, quarters)
    summary = _summary(d, series, quarters)
    values = []
    for q in quarters:
        want = expected(d, series.baseline, q)
        actual = series.totals.get(q)
        values.append(
            QuarterValue(
                quarter=label(q),
                actual=actual,
                expected=want,
                status=status(d, series.baseline, actual, want),
            )
        )
    districts = TAXONOMY.districts
    by_district = [
        DistrictValue(district=k, district_name=districts.display(k), actual=v)
        for k, v in sorted(series.districts.items(), key=lambda kv: -kv[1])
    ]
    reports = [report_out(r) for r in await repository.reports(session, code)] if d.kind == "reported" else []
    return IndicatorDetail(**summary.model_dump(), quarters=values, by_district=by_district, reports=reports)


def _check_department(d: IndicatorDef, principal: Principal) -> None:
    if not principal.acts_for(d.department):
        raise OtherDepartment(f"“{d.name}”由{d.department}报送，您只能报送和审核本部门牵头的指标")


async def submit(session: AsyncSession, code: str, body: ReportIn, principal: Principal) -> IndicatorReport:
    """A quarter's value with its note; a second submission for the same quarter is the next revision."""
    d = indicator(code)
    if d.kind != "reported":
        raise IndicatorNotReported(f"“{d.name}”由平台数据计算，不接受报送")
    _check_department(d, principal)
    year, n = parse_quarter(body.quarter)
    if body.unit.strip() != d.unit:
        raise WrongUnit(f"“{d.name}”的单位是“{d.unit}”，报送的是“{body.unit[:8]}”", field="unit")
    if body.value < 0 or body.value > d.maximum or body.value != body.value:
        raise ValueOutOfRange(f"“{d.name}”的报送值应在 0 到 {d.maximum:g}{d.unit} 之间", field="value")
    revision = await repository.lock_quarter(session, code, year, n) + 1
    row = IndicatorReport(
        id=uuid.uuid4(),
        code=code,
        year=year,
        quarter=n,
        revision=revision,
        value=body.value,
        # A statistics note has no place for personal data: stored masked, the original not kept.
        note=mask_pii(body.note.strip()),
        department=d.department,
        submitted_by=principal.subject,
        submitted_name=principal.name,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def approve(
    session: AsyncSession, code: str, report_id: uuid.UUID, principal: Principal
) -> IndicatorReport:
    d = indicator(code)
    _check_department(d, principal)
    row = await repository.report(session, code, report_id)
    if row is None:
        raise ReportNotFound(f"“{d.name}”没有编号为 {report_id} 的报送", field="report_id")
    if row.approved_at is not None:
        raise AlreadyApproved(
            f"{label((row.year, row.quarter))} 第 {row.revision} 版已由{row.approved_name or row.approved_by}审核"
        )
    if row.submitted_by == principal.subject:
        raise SamePerson("报送人不能审核自己的报送，请由本部门另一人审核")
    row.approved_by = principal.subject
    row.approved_name = principal.name
    row.approved_at = utc_now()
    await session.flush()
    return row
