"""A person's profile as events carry it — their age and their employer's chain and qualifications included —
and its publication, also when only the employer changed (the enterprise service calls
:func:`republish_employees`; this module imports no service, so neither imports the other back)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events import add_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise.repository import load_bundle
from kunruyi_talent.events import PersonProfile, PersonRegistered, PersonUpdated
from kunruyi_talent.models import Enterprise, Talent
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.teams.facts import republish_teams_of

SOURCE = "talent"
# Eight of the ID number's hidden digits: stored encrypted; responses and events carry the age (and gender) only.
BIRTH_DATE_COLUMN = "talents.birth_date"


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def birth_date_of(pii: PersonalData, talent: Talent) -> date:
    return date.fromisoformat(pii.decrypt(talent.birth_date_encrypted, BIRTH_DATE_COLUMN))


def age_of(pii: PersonalData, talent: Talent, on: date | None = None) -> int:
    return age_on(birth_date_of(pii, talent), on or local_today())


async def profile(
    session: AsyncSession, pii: PersonalData, talent: Talent, on: date | None = None
) -> dict[str, Any]:
    on = on or local_today()
    employer_uscc = None
    employer_quals: list[str] = []
    chain = None
    if talent.employer_id is not None:
        employer = await session.get_one(Enterprise, talent.employer_id)
        bundle = await load_bundle(session, employer)
        employer_uscc = employer.uscc
        employer_quals = sorted(q.kind for q in bundle.valid_qualifications(on))
        chain = employer.industry_chain
    years = age_on(talent.arrival_date, on) if talent.arrival_date else 0
    return {
        "talent_id": str(talent.id),
        "name": talent.name,
        "gender": talent.gender,
        "age": age_of(pii, talent, on),
        "education": talent.education,
        "overseas": talent.overseas,
        "title": talent.title,
        "skill_level": talent.skill_level,
        "talent_programs": [str(p.get("name")) for p in talent.programs],
        "talent_class": talent.talent_class,
        "employer_uscc": employer_uscc,
        "employer_qualifications": employer_quals,
        "years_in_kunshan": max(years, 0),
        "arrival_date": talent.arrival_date,
        "annual_salary_fen": talent.annual_salary_fen,
        "expertise": talent.expertise,
        "fields": list(talent.fields),
        "industry_chain": chain,
        "is_expert": talent.is_expert,
    }


async def publish_profile(
    session: AsyncSession, pii: PersonalData, talent: Talent, *, registered: bool, teams: bool = True
) -> None:
    """The talent's profile event; and, unless ``teams`` is False (only the employer's side changed, which no team
    fact reads), their teams' facts too."""
    model: type[PersonProfile] = PersonRegistered if registered else PersonUpdated
    await add_event(session, SOURCE, model(**await profile(session, pii, talent)), subject=str(talent.id))
    if teams:
        # a member's education, overseas experience, programs and class are part of their teams' facts
        await republish_teams_of(session, talent.id)


async def republish_employees(session: AsyncSession, pii: PersonalData, enterprise_id: uuid.UUID) -> int:
    """An employer's qualifications or chain are part of each employee's profile: announce the new profiles."""
    employees = (
        await session.scalars(select(Talent).where(Talent.employer_id == enterprise_id).order_by(Talent.id))
    ).all()
    for talent in employees:
        # a team's facts read its members' own files and the team's company, never a member's employer
        await publish_profile(session, pii, talent, registered=False, teams=False)
    return len(employees)
