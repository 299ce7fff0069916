"""Reading an enterprise's file: the enterprise with its figures, qualifications and contacts, and the profile
computed from them (used by the enterprise service and by the talent profiles, which carry the employer's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise import ladder
from kunruyi_talent.models import (
    Enterprise,
    EnterpriseContact,
    EnterpriseFigures,
    EnterpriseQualification,
    Platform,
)

# 科创平台 levels, highest first (a kind held at two levels is reported at the higher one).
PLATFORM_LEVELS = ("国家", "省", "苏州", "昆山")


@dataclass
class EnterpriseBundle:
    enterprise: Enterprise
    figures: list[EnterpriseFigures]
    qualifications: list[EnterpriseQualification]
    contacts: list[EnterpriseContact]
    platform_records: list[Platform] = field(default_factory=list)

    def held_platforms(self, on: date) -> list[Platform]:
        """Recognised on or before ``on``, not expired, not revoked by a failed yearly review."""
        return [p for p in self.platform_records if platform_held(p, on)]

    def platform_facts(self, on: date) -> dict[str, Any]:
        """The platform fields of the profile. A kind with a record is decided by its records (held or not); a
        bare code typed on the file without a record (older data) stays listed as it was, without a date."""
        recorded = {p.kind for p in self.platform_records}
        held = self.held_platforms(on)
        dates: dict[str, date] = {}
        expiry: dict[str, date | None] = {}
        levels: dict[str, str] = {}
        for p in held:
            # the latest recognition of a kind is the one an award for a new recognition reads
            if p.kind not in dates or p.recognized_on > dates[p.kind]:
                dates[p.kind] = p.recognized_on
            expiry[p.kind] = _later(expiry[p.kind], p.expires_on) if p.kind in expiry else p.expires_on
            if p.kind not in levels or PLATFORM_LEVELS.index(p.level) < PLATFORM_LEVELS.index(levels[p.kind]):
                levels[p.kind] = p.level
        bare = {k for k in self.enterprise.platforms if k not in recorded}
        return {
            "platforms": sorted(bare | set(dates)),
            "platform_dates": dates,
            "platform_expiry": expiry,
            "platform_levels": levels,
        }

    def valid_qualifications(self, on: date) -> list[EnterpriseQualification]:
        return [
            q
            for q in self.qualifications
            if q.granted_on <= on and (q.expires_on is None or q.expires_on >= on)
        ]

    def growth(self, on: date) -> ladder.Growth:
        latest = self.figures[-1] if self.figures else None
        previous = next((f for f in self.figures if latest and f.year == latest.year - 1), None)
        return ladder.evaluate(
            ladder.Facts(
                founded_on=self.enterprise.founded_on,
                employees=self.enterprise.employees,
                invention_patents=self.enterprise.invention_patents,
                revenue_fen=latest.revenue_fen if latest else None,
                previous_revenue_fen=previous.revenue_fen if previous else None,
                rd_expense_fen=latest.rd_expense_fen if latest else None,
                tax_paid_fen=latest.tax_paid_fen if latest else None,
                high_tech_revenue_ratio=latest.high_tech_revenue_ratio if latest else None,
                qualifications=frozenset(q.kind for q in self.valid_qualifications(on)),
                today=on,
            )
        )

    def profile(self, on: date) -> dict[str, Any]:
        e = self.enterprise
        latest = self.figures[-1] if self.figures else None
        valid = self.valid_qualifications(on)
        founded_years = 0
        if e.founded_on is not None:
            founded_years = max(
                on.year - e.founded_on.year - ((on.month, on.day) < (e.founded_on.month, e.founded_on.day)), 0
            )
        return {
            "uscc": e.uscc,
            "name": e.name,
            "district": e.district,
            "industry_chain": e.industry_chain,
            "founded_on": e.founded_on,
            "founded_years": founded_years,
            "employees": e.employees,
            "fiscal_year": latest.year if latest else None,
            "revenue_fen": latest.revenue_fen if latest else 0,
            "rd_expense_fen": latest.rd_expense_fen if latest else 0,
            "tax_paid_fen": latest.tax_paid_fen if latest else 0,
            "rd_ratio": ladder.rd_ratio(latest.rd_expense_fen, latest.revenue_fen) if latest else 0.0,
            "high_tech_revenue_ratio": latest.high_tech_revenue_ratio if latest else 0.0,
            "qualifications": sorted(q.kind for q in valid),
            "new_qualifications": sorted(q.kind for q in valid if q.granted_on.year == on.year),
            "invention_patents": e.invention_patents,
            **self.platform_facts(on),
            "growth_stage": self.growth(on).stage,
            "qualification_dates": {
                q.kind: {"granted_on": q.granted_on, "expires_on": q.expires_on} for q in self.qualifications
            },
        }


async def load_bundle(session: AsyncSession, enterprise: Enterprise) -> EnterpriseBundle:
    figures = (
        await session.scalars(
            select(EnterpriseFigures)
            .where(EnterpriseFigures.enterprise_id == enterprise.id)
            .order_by(EnterpriseFigures.year)
        )
    ).all()
    quals = (
        await session.scalars(
            select(EnterpriseQualification)
            .where(EnterpriseQualification.enterprise_id == enterprise.id)
            .order_by(EnterpriseQualification.granted_on)
        )
    ).all()
    contacts = (
        await session.scalars(
            select(EnterpriseContact)
            .where(EnterpriseContact.enterprise_id == enterprise.id)
            .order_by(EnterpriseContact.name)
        )
    ).all()
    platforms = (
        await session.scalars(
            select(Platform).where(Platform.enterprise_id == enterprise.id).order_by(Platform.recognized_on)
        )
    ).all()
    return EnterpriseBundle(enterprise, list(figures), list(quals), list(contacts), list(platforms))


def _later(a: date | None, b: date | None) -> date | None:
    """The later of two expiry dates, None (no expiry) being the latest."""
    return None if a is None or b is None else max(a, b)


def platform_held(p: Platform, on: date) -> bool:
    return (
        p.recognized_on <= on
        and (p.expires_on is None or p.expires_on >= on)
        and (p.revoked_on is None or p.revoked_on > on)
    )
