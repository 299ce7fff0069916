"""Experts from svc-talent: ``kunruyi.talent.person.registered|updated`` with ``is_expert`` true; companies from
its enterprise registry: ``kunruyi.talent.enterprise.registered|updated`` (keyed by USCC).

The handler only writes the row (inside the inbox transaction); the index refresher picks the committed row up
within a second, so a rolled-back delivery never reaches the index.
"""

from __future__ import annotations

from typing import Any

from kunruyi_common.events import EventRejected
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_common.taxonomy import TAXONOMY
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.supply import service
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.taxonomy import normalise_chain, normalise_field


class TalentPerson(BaseModel):
    """The fields of svc-talent's person events this service reads (docs/contracts.md)."""

    model_config = ConfigDict(extra="ignore")

    talent_id: str
    name: str
    title: str | None = None
    education: str | None = None
    talent_programs: list[str] = Field(default_factory=list)
    employer_uscc: str | None = None
    expertise: str = ""
    fields: list[str] = Field(default_factory=list)
    industry_chain: str | None = None
    is_expert: bool = False


def _chain(value: str | None) -> str | None:
    """The chain code of svc-talent's chain; a value the taxonomy cannot map refuses the event (dead letter with
    the reason), never a silent ``None``: the expert would lose their chain."""
    if value is None or not value.strip():
        return None
    code = normalise_chain(value)
    if code is None:
        raise EventRejected("unknown_industry_chain", f"svc-talent sent industry_chain {value[:64]!r}")
    return code


def to_supply(person: TalentPerson) -> SupplyIn:
    field = next((code for code in map(normalise_field, person.fields) if code), None)
    attributes: dict[str, Any] = {
        "title": person.title,
        "education": person.education,
        "talent_programs": person.talent_programs,
        "employer_uscc": person.employer_uscc,
        "keywords": [f for f in person.fields if not normalise_field(f)],
    }
    summary = "；".join(p for p in [person.expertise, "、".join(person.fields), person.title or ""] if p)
    return SupplyIn(
        kind="expert",
        natural_key=person.talent_id,
        name=person.name,
        summary=summary,
        organization=None,
        industry_chain=_chain(person.industry_chain),
        technical_field=field,
        # The talent registry is Kunshan's: its experts work here.
        region="昆山",
        attributes=attributes,
    )


async def on_person(session: AsyncSession, event: CloudEvent) -> None:
    person = TalentPerson.model_validate(event.data)
    if not person.is_expert:
        return
    await service.upsert(session, to_supply(person), source="talent")


SCHEMAS: dict[str, type[BaseModel]] = {
    "kunruyi.talent.person.registered": TalentPerson,
    "kunruyi.talent.person.updated": TalentPerson,
}
HANDLERS = {
    "kunruyi.talent.person.registered": on_person,
    "kunruyi.talent.person.updated": on_person,
}


class TalentEnterprise(BaseModel):
    """The fields of svc-talent's enterprise events this service reads. Its finances (revenue, tax, R&D spend)
    are not read: a company's supply side is what it can do, not its books; its contacts are never sent."""

    model_config = ConfigDict(extra="ignore")

    uscc: str
    name: str
    district: str | None = None
    industry_chain: str | None = None
    founded_years: int | None = None
    employees: int | None = None
    qualifications: list[str] = Field(default_factory=list)
    invention_patents: int = 0
    platforms: list[str] = Field(default_factory=list)
    growth_stage: str | None = None


def _named(vocabulary: str, values: list[str]) -> list[dict[str, str]]:
    vocab = TAXONOMY.vocabularies()[vocabulary]
    out = []
    for value in values:
        code = vocab.lookup(value) or value
        out.append({"code": code, "name": vocab.display(code)})
    return out


def company_supply(enterprise: TalentEnterprise) -> SupplyIn:
    qualifications = _named("qualifications", enterprise.qualifications)
    platforms = _named("platform_kinds", enterprise.platforms)
    district = _named("districts", [enterprise.district])[0] if enterprise.district else None
    chain = _chain(enterprise.industry_chain)
    parts = [
        "、".join(q["name"] for q in qualifications),
        "、".join(p["name"] for p in platforms),
        f"发明专利 {enterprise.invention_patents} 件" if enterprise.invention_patents else "",
    ]
    attributes: dict[str, Any] = {
        "uscc": enterprise.uscc,
        "district": district,
        "qualifications": qualifications,
        "platforms": platforms,
        "invention_patents": enterprise.invention_patents,
        "growth_stage": enterprise.growth_stage,
        "founded_years": enterprise.founded_years,
        "employees": enterprise.employees,
    }
    return SupplyIn(
        kind="company",
        natural_key=enterprise.uscc,
        name=enterprise.name,
        summary="；".join(p for p in parts if p),
        organization=None,
        industry_chain=chain,
        technical_field=None,
        # The registry is Kunshan's (一企一档): its companies are here; the 区镇 is kept in the attributes.
        region="昆山",
        attributes=attributes,
    )


async def on_enterprise(session: AsyncSession, event: CloudEvent) -> None:
    enterprise = TalentEnterprise.model_validate(event.data)
    try:
        record = company_supply(enterprise)
    except ValueError as exc:  # pydantic's ValidationError: an invalid USCC or name
        raise EventRejected(
            "invalid_company", f"svc-talent sent an enterprise that is no supply: {exc}"
        ) from None
    await service.upsert(session, record, source="talent")


COMPANY_SCHEMAS: dict[str, type[BaseModel]] = {
    "kunruyi.talent.enterprise.registered": TalentEnterprise,
    "kunruyi.talent.enterprise.updated": TalentEnterprise,
}
COMPANY_HANDLERS = {
    "kunruyi.talent.enterprise.registered": on_enterprise,
    "kunruyi.talent.enterprise.updated": on_enterprise,
}
