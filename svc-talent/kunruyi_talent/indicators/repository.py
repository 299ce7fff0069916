"""Reads for the indicator system. Every computed value is counted by PostgreSQL from this service's own tables
(qualifications, the talent registry, housing, the service desk) and from the payments and awarded 揭榜挂帅
challenges it consumed as events:
one query per source for all the quarter ends asked, grouped by 区镇."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import IndicatorReport

# value per quarter end, per district ("" when the row has none)
Grid = dict[date, dict[str, float]]

QUALIFICATION_KINDS: dict[str, tuple[str, ...]] = {
    "high_tech": ("high_tech",),
    "specialized_sme": ("specialized_sme", "little_giant"),
    "gazelle": ("gazelle",),
    "unicorn_candidate": ("unicorn_candidate",),
}

_LOCAL = "Asia/Shanghai"

_QUALIFIED = text(
    """
    SELECT d.qe, e.district, count(DISTINCT q.enterprise_id)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN enterprise_qualifications q
      ON q.granted_on <= d.qe AND (q.expires_on IS NULL OR q.expires_on > d.qe)
    JOIN enterprises e ON e.id = q.enterprise_id
    WHERE q.kind = ANY(CAST(:kinds AS text[]))
    GROUP BY d.qe, e.district
    """
)

# Platforms recognised up to each quarter end (a later expiry or failed review does not undo a recognition).
_PLATFORMS = text(
    """
    SELECT d.qe, e.district, count(p.id)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN platforms p ON p.recognized_on <= d.qe
    JOIN enterprises e ON e.id = p.enterprise_id
    WHERE (CAST(:kind AS text) IS NULL OR p.kind = CAST(:kind AS text))
    GROUP BY d.qe, e.district
    """
)

_TALENTS = text(
    f"""
    SELECT d.qe, coalesce(e.district, ''), count(t.id)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN talents t ON (t.created_at AT TIME ZONE '{_LOCAL}')::date <= d.qe
    LEFT JOIN enterprises e ON e.id = t.employer_id
    WHERE (NOT :high_level OR t.talent_class IN ('A', 'B', 'C', 'D', 'E'))
    GROUP BY d.qe, coalesce(e.district, '')
    """
)

_HOUSING = text(
    f"""
    SELECT d.qe, p.district, count(u.id)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN housing_projects p ON (p.created_at AT TIME ZONE '{_LOCAL}')::date <= d.qe
    JOIN housing_units u ON u.project_id = p.id
    GROUP BY d.qe, p.district
    """
)

_PAYOUTS = text(
    """
    SELECT d.qe, coalesce(e.district, ''), sum(p.amount_fen)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN indicator_payments p ON p.settled_on <= d.qe
    LEFT JOIN enterprises e ON p.entity_type = 'enterprise' AND e.uscc = p.entity_id
    GROUP BY d.qe, coalesce(e.district, '')
    """
)

# 揭榜挂帅 challenges awarded up to each quarter end, in the publishing company's 区镇 ("" when unknown or staff's).
_CHALLENGES = text(
    """
    SELECT d.qe, coalesce(e.district, ''), count(c.challenge_id)
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN indicator_challenges c ON c.awarded_on <= d.qe
    LEFT JOIN enterprises e ON e.uscc = c.publisher_uscc
    GROUP BY d.qe, coalesce(e.district, '')
    """
)

# Tickets received in the quarter (start, end]: how many, answered by the deadline, resolved.
_DESK = text(
    f"""
    SELECT d.qe, count(t.id),
           count(t.id) FILTER (
               WHERE t.replied_at IS NOT NULL
                 AND (t.replied_at AT TIME ZONE '{_LOCAL}')::date <= t.deadline),
           count(t.id) FILTER (WHERE t.resolved_at IS NOT NULL OR t.status IN ('resolved', 'closed'))
    FROM unnest(CAST(:ends AS date[])) AS d(qe)
    JOIN tickets t ON (t.submitted_at AT TIME ZONE '{_LOCAL}')::date <= d.qe
                  AND (t.submitted_at AT TIME ZONE '{_LOCAL}')::date > d.qe - interval '3 months'
    GROUP BY d.qe
    """
)


def _grid(rows: Sequence[Sequence[object]], scale: float = 1.0) -> Grid:
    grid: Grid = defaultdict(dict)
    for qe, district, value in rows:
        assert isinstance(qe, date)
        grid[qe][str(district or "")] = float(value or 0) / scale  # type: ignore[arg-type]
    return grid


async def qualified(session: AsyncSession, kinds: tuple[str, ...], ends: list[date]) -> Grid:
    rows = (await session.execute(_QUALIFIED, {"ends": ends, "kinds": list(kinds)})).all()
    return _grid(rows)


async def platforms(session: AsyncSession, kind: str | None, ends: list[date]) -> Grid:
    return _grid((await session.execute(_PLATFORMS, {"ends": ends, "kind": kind})).all())


async def talents(session: AsyncSession, ends: list[date], *, high_level: bool) -> Grid:
    rows = (await session.execute(_TALENTS, {"ends": ends, "high_level": high_level})).all()
    return _grid(rows)


async def housing_units(session: AsyncSession, ends: list[date]) -> Grid:
    return _grid((await session.execute(_HOUSING, {"ends": ends})).all())


async def payouts_wan(session: AsyncSession, ends: list[date]) -> Grid:
    """Settled payments up to each quarter end, in 万元 (1 万元 = 1,000,000 分)."""
    return _grid((await session.execute(_PAYOUTS, {"ends": ends})).all(), scale=1_000_000)


async def challenges(session: AsyncSession, ends: list[date]) -> Grid:
    return _grid((await session.execute(_CHALLENGES, {"ends": ends})).all())


async def desk_rates(session: AsyncSession, ends: list[date]) -> dict[date, tuple[int, int, int]]:
    """quarter end → (received, replied by the deadline, resolved)."""
    rows = (await session.execute(_DESK, {"ends": ends})).all()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


async def reports(session: AsyncSession, code: str) -> Sequence[IndicatorReport]:
    stmt = (
        select(IndicatorReport)
        .where(IndicatorReport.code == code)
        .order_by(IndicatorReport.year, IndicatorReport.quarter, IndicatorReport.revision)
    )
    return (await session.scalars(stmt)).all()


async def all_approved(session: AsyncSession) -> Sequence[IndicatorReport]:
    stmt = (
        select(IndicatorReport)
        .where(IndicatorReport.approved_at.is_not(None))
        .order_by(
            IndicatorReport.code, IndicatorReport.year, IndicatorReport.quarter, IndicatorReport.revision
        )
    )
    return (await session.scalars(stmt)).all()


async def report(session: AsyncSession, code: str, report_id: uuid.UUID) -> IndicatorReport | None:
    stmt = (
        select(IndicatorReport)
        .where(IndicatorReport.id == report_id, IndicatorReport.code == code)
        .with_for_update()
    )
    return (await session.scalars(stmt)).one_or_none()


async def lock_quarter(session: AsyncSession, code: str, year: int, quarter: int) -> int:
    """Serialise submissions for one indicator and quarter; the highest revision so far (0 when none)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"indicator:{code}:{year}Q{quarter}"}
    )
    latest = await session.scalar(
        select(func.max(IndicatorReport.revision)).where(
            IndicatorReport.code == code, IndicatorReport.year == year, IndicatorReport.quarter == quarter
        )
    )
    return int(latest or 0)
