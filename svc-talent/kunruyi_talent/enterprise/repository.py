"""Reading an enterprise's file: the enterprise with its figures, qualifications and contacts, and the profile
computed from them (used by the enterprise service and by the talent profiles, which carry the employer's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise import ladder
from kunruyi_talent.models import Enterprise, EnterpriseContact, EnterpriseFigures, EnterpriseQualification


@dataclass
class EnterpriseBundle:
    enterprise: Enterprise
    figures: list[EnterpriseFigures]
    qualifications: list[EnterpriseQualification]
    contacts: list[EnterpriseContact]

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
            "platforms": list(e.platforms),
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
    return EnterpriseBundle(enterprise, list(figures), list(quals), list(contacts))
