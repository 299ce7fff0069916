"""The read model of svc-talent's enterprises, talent and teams, and 免申即享 on every profile change.

svc-policy reads only the fields rules use, through its own models of svc-talent's event data (never its code).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from kunruyi_common.events import CloudEvent, EventRejected, one_by_one
from kunruyi_common.taxonomy import TAXONOMY
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.entitlements.service import determine_for_entity
from kunruyi_policy.models import EntityProfile
from kunruyi_policy.profiles.awards import with_awards
from kunruyi_policy.profiles.derived import derive_tolerant
from kunruyi_policy.profiles.period import UNKNOWN_KEY, unknown_figures
from kunruyi_policy.reach.service import update_reach
from kunruyi_policy.rules.variables import (
    TALENT_PROGRAM_CODES,
    EnterpriseProfile,
    TalentProfile,
    TeamProfile,
)

logger = logging.getLogger("kunruyi.policy.profiles")


class EnterpriseEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uscc: str
    name: str = ""
    district: str | None = None
    industry_chain: str | None = None
    founded_on: date | None = None
    founded_years: int | None = None
    employees: int | None = None
    revenue_fen: int | None = None
    rd_expense_fen: int | None = None
    tax_paid_fen: int | None = None
    rd_ratio: float | None = None
    high_tech_revenue_ratio: float | None = None
    qualifications: list[str] | None = None
    new_qualifications: list[str] | None = None
    invention_patents: int | None = None
    new_invention_patents: int | None = None
    platforms: list[str] | None = None
    total_assets_fen: int | None = None
    taxable_income_fen: int | None = None
    # {kind: {"granted_on", "first_granted_on"?, "expires_on"?}}: the period variables are computed from these
    qualification_dates: dict[str, dict[str, Any]] | None = None
    platform_dates: dict[str, str] | None = None
    # svc-talent's platform records (added): expiry (null: none) and the highest level held, per platform kind
    platform_expiry: dict[str, str | None] | None = None
    platform_levels: dict[str, str] | None = None


class PersonEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    talent_id: str
    birth_date: date | None = None
    age: int | None = None
    education: str | None = None
    overseas: bool | None = None
    title: str | None = None
    skill_level: str | None = None
    talent_programs: list[str] | None = None
    talent_class: str | None = None
    years_in_kunshan: int | None = None
    arrival_date: date | None = None
    annual_salary_fen: int | None = None
    employer_qualifications: list[str] | None = None
    industry_chain: str | None = None


class TeamEventData(BaseModel):
    """svc-talent's team facts (ids and counts only; ``member_ids`` and the programs are not rule variables)."""

    model_config = ConfigDict(extra="ignore")

    team_id: str
    uscc: str | None = None
    company_in_kunshan: bool | None = None
    lead_talent_class: str | None = None
    member_count: int | None = None
    core_member_count: int | None = None
    doctorate_members: int | None = None
    overseas_members: int | None = None
    program_members: int | None = None


def _present(data: BaseModel, fields: set[str]) -> dict[str, Any]:
    # null in the event means "unknown": the profile keeps the rule variable's neutral default.
    return {k: v for k, v in data.model_dump(mode="json", include=fields).items() if v is not None}


# Ratios svc-talent computes (R&D / revenue) exceed 1 for start-ups that spend more than they earn.
_RATIOS = ("rd_ratio", "high_tech_revenue_ratio")


def _tolerant(model: type[BaseModel], values: dict[str, Any], entity: str) -> dict[str, Any]:
    """The profile as rules see it, never refused: an event svc-policy cannot store would stall the consumer and
    leave the entity out of 免申即享. A ratio above 1 reads as 1 (100 % meets every threshold a ratio can have);
    any other value outside the dictionary's range reads as unknown (the variable's neutral default), logged."""
    values = dict(values)
    for name in _RATIOS:
        value = values.get(name)
        if isinstance(value, int | float) and value > 1:
            values[name] = 1.0
    try:
        return model.model_validate(values).model_dump()
    except ValidationError as exc:
        dropped = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        logger.warning("%s: values outside the variable dictionary read as unknown: %s", entity, dropped)
        return model.model_validate({k: v for k, v in values.items() if k not in dropped}).model_dump()


def _vocabulary(values: dict[str, Any], entity: str) -> dict[str, Any]:
    """District and chain as the rule variables spell them (the shared taxonomy's names; an alias or code in).
    A value the taxonomy does not know refuses the event (dead letter with the reason) rather than reading as
    unknown: the profile would silently lose it and rules on it would never match."""
    chains, districts = TAXONOMY.industry_chains, TAXONOMY.districts
    if values.get("industry_chain"):
        code = chains.lookup(values["industry_chain"])
        if code is None:
            raise EventRejected("unknown_industry_chain", f"{entity}: {str(values['industry_chain'])[:64]!r}")
        values["industry_chain"] = chains.display(chains.root(code))
    if values.get("district"):
        code = districts.lookup(values["district"])
        if code is None:
            raise EventRejected("unknown_district", f"{entity}: {str(values['district'])[:64]!r}")
        values["district"] = districts.display(code)
    return values


def enterprise_profile(data: EnterpriseEventData, today: date | None = None) -> dict[str, Any]:
    values = _vocabulary(_present(data, {*EnterpriseProfile.model_fields, "founded_on"}), data.uscc)
    # rd_ratio and founded_years computed from the figures exactly as the calculator's profile path does
    values = derive_tolerant("enterprise", values, today, data.uscc)
    profile = _tolerant(EnterpriseProfile, values, data.uscc)
    # figures the event did not give are unknown (needs_data), not 0
    profile[UNKNOWN_KEY] = unknown_figures("enterprise", values)
    return profile


def talent_profile(data: PersonEventData, today: date | None = None) -> dict[str, Any]:
    values = _vocabulary(_present(data, {*TalentProfile.model_fields, "birth_date"}), data.talent_id)
    values = derive_tolerant("talent", values, today, data.talent_id)
    values["talent_programs"] = [TALENT_PROGRAM_CODES.get(p, p) for p in values.get("talent_programs", [])]
    if values.get("education") not in (None, "bachelor", "master", "doctor"):
        values["education"] = "other"
    profile = _tolerant(TalentProfile, values, data.talent_id)
    profile[UNKNOWN_KEY] = unknown_figures("talent", values)
    return profile


def team_profile(data: TeamEventData) -> dict[str, Any]:
    values = _present(data, set(TeamProfile.model_fields))
    profile = _tolerant(TeamProfile, values, data.team_id)
    profile[UNKNOWN_KEY] = unknown_figures("team", values)
    return profile


# Dated facts another producer than svc-talent keeps in a profile: an enterprise event does not carry them.
KEPT_FACTS = ("financings",)


async def upsert_profile(
    session: AsyncSession, entity_type: str, entity_id: str, name: str, profile: dict[str, Any], at: datetime
) -> bool:
    """Store the profile unless a newer event already did; returns whether it was stored. Facts other producers
    feed (``financings``, from svc-matching) are kept: ``profile`` gets them too, for the evaluation that follows.

    Replicas apply an entity's events at the same time (one durable consumer, shared): the stored row is read
    ``FOR UPDATE``, so a replica applying an older event waits for one applying a newer event to commit and then
    sees it; and the upsert itself only overwrites an older row (for the first event of an entity, when there is
    no row to lock yet)."""
    stored = (
        await session.execute(
            select(EntityProfile.source_event_time, EntityProfile.profile)
            .where(EntityProfile.entity_type == entity_type, EntityProfile.entity_id == entity_id)
            .with_for_update()
        )
    ).one_or_none()
    current = stored[0] if stored is not None else None
    if current is not None and current > at:
        logger.info("ignoring an older %s event for %s", entity_type, entity_id)
        return False
    for fact in KEPT_FACTS:
        if stored is not None and stored[1].get(fact):
            profile[fact] = stored[1][fact]
    statement = insert(EntityProfile).values(
        entity_type=entity_type, entity_id=entity_id, name=name, profile=profile, source_event_time=at
    )
    written = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[EntityProfile.entity_type, EntityProfile.entity_id],
            set_={
                "name": name,
                "profile": profile,
                "source_event_time": at,
                "updated_at": datetime.now(at.tzinfo),
            },
            where=or_(EntityProfile.source_event_time.is_(None), EntityProfile.source_event_time <= at),
        ).returning(EntityProfile.entity_id)
    )
    if written.first() is None:
        logger.info("ignoring an older %s event for %s", entity_type, entity_id)
        return False
    return True


async def on_enterprise(session: AsyncSession, event: CloudEvent) -> None:
    data = EnterpriseEventData.model_validate(event.data)
    profile = enterprise_profile(data)
    if await upsert_profile(session, "enterprise", data.uscc, data.name, profile, event.time):
        await determine_for_entity(session, "enterprise", data.uscc, profile)
        await update_reach(session, "enterprise", data.uscc, profile)


async def on_person(session: AsyncSession, event: CloudEvent) -> None:
    data = PersonEventData.model_validate(event.data)
    profile = await with_awards(session, data.talent_id, talent_profile(data))
    if await upsert_profile(session, "talent", data.talent_id, "", profile, event.time):
        await determine_for_entity(session, "talent", data.talent_id, profile)
        await update_reach(session, "talent", data.talent_id, profile)


async def on_team(session: AsyncSession, event: CloudEvent) -> None:
    """A team's facts into the read model (entity_type ``team``): the calculator reads them by team id. Team items
    are applied for (申报), so no 免申即享 run and no reach notice follow (both speak of companies and talent)."""
    data = TeamEventData.model_validate(event.data)
    await upsert_profile(session, "team", data.team_id, "", team_profile(data), event.time)


SCHEMAS: dict[str, type[BaseModel]] = {
    "kunruyi.talent.enterprise.registered": EnterpriseEventData,
    "kunruyi.talent.enterprise.updated": EnterpriseEventData,
    "kunruyi.talent.person.registered": PersonEventData,
    "kunruyi.talent.person.updated": PersonEventData,
}
HANDLERS = {
    "kunruyi.talent.enterprise.registered": on_enterprise,
    "kunruyi.talent.enterprise.updated": on_enterprise,
    "kunruyi.talent.person.registered": on_person,
    "kunruyi.talent.person.updated": on_person,
}


def _by_entity(event: CloudEvent) -> tuple[str, datetime]:
    # the subject is the company's or the talent's id; its events in the order they happened
    return event.subject or "", event.time


# A fetch of profile events in one transaction (a registration wave, a catalog import's companies): each event
# still evaluates its entity alone, but one transaction, one inbox insert and one relay wake-up serve the fetch.
BATCH_HANDLERS = {type_: one_by_one(handler, order=_by_entity) for type_, handler in HANDLERS.items()}
# A durable consumer of its own (``policy-team-profiles``): a new one starts with the stream's team events instead
# of changing the subjects of the existing profile consumer.
TEAM_SCHEMAS: dict[str, type[BaseModel]] = {
    "kunruyi.talent.team.registered": TeamEventData,
    "kunruyi.talent.team.updated": TeamEventData,
}
TEAM_HANDLERS = {
    "kunruyi.talent.team.registered": on_team,
    "kunruyi.talent.team.updated": on_team,
}
