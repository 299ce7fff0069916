"""Experts from svc-talent: ``kunruyi.talent.person.registered|updated`` with ``is_expert`` true.

The handler only writes the row (inside the inbox transaction); the index refresher picks the committed row up
within a second, so a rolled-back delivery never reaches the index.
"""

from __future__ import annotations

from typing import Any

from kunruyi_common.events import EventRejected
from kunruyi_common.events.envelope import CloudEvent
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
