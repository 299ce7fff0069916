"""A team's facts as rules need them (member counts, the lead's class, doctorates, overseas experience, talent
programs, the company and whether it is registered in Kunshan), and their publication through the outbox.

Only ids and counts leave the service: no team name, no member's name or personal data. The talent service calls
:func:`republish_teams_of` whenever a talent's profile is published, since a member's education, overseas
experience, programs or class are part of the team's facts (this module imports no service, so neither imports the
other back)."""

from __future__ import annotations

import uuid

from kunruyi_common.events import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.events import TeamFacts, TeamRegistered, TeamUpdated
from kunruyi_talent.models import Enterprise, Talent, Team, TeamMember
from kunruyi_talent.teams import repository

SOURCE = "talent"
CORE_ROLES = ("lead", "core")


def facts(team: Team, members: list[tuple[TeamMember, Talent]], enterprise: Enterprise | None) -> TeamFacts:
    lead = next((t for m, t in members if m.talent_id == team.lead_talent_id), None)
    talents = [t for _, t in members]
    return TeamFacts(
        team_id=str(team.id),
        uscc=team.uscc,
        company_on_file=enterprise is not None,
        # the registry holds Kunshan's companies (一企一档, a Kunshan district each): on file means registered here;
        # a company not on file may be registered here or elsewhere — unknown
        company_in_kunshan=True if enterprise is not None else None,
        lead_talent_id=str(team.lead_talent_id),
        lead_talent_class=lead.talent_class if lead is not None else None,
        member_ids=[str(m.talent_id) for m, _ in members],
        member_count=len(members),
        core_member_count=sum(1 for m, _ in members if m.role in CORE_ROLES),
        doctorate_members=sum(1 for t in talents if t.education == "doctor"),
        overseas_members=sum(1 for t in talents if t.overseas),
        program_members=sum(1 for t in talents if t.programs),
        team_programs=list(team.programs),
    )


async def publish(session: AsyncSession, team: Team, *, registered: bool) -> TeamFacts:
    """Write the team's event to the outbox (in the caller's transaction)."""
    members = (await repository.members_of(session, [team.id])).get(team.id, [])
    enterprise = (await repository.enterprises_by_uscc(session, [team.uscc])).get(team.uscc)
    found = facts(team, members, enterprise)
    model: type[TeamFacts] = TeamRegistered if registered else TeamUpdated
    await add_event(session, SOURCE, model(**found.model_dump()), subject=str(team.id))
    return found


async def republish_teams_of(session: AsyncSession, talent_id: uuid.UUID) -> int:
    """A member's profile changed: announce the facts of every team they are in."""
    count = 0
    for team_id in await repository.team_ids_of_talent(session, talent_id):
        team = await session.get_one(Team, team_id)
        await publish(session, team, registered=False)
        count += 1
    return count


async def republish_teams_of_company(session: AsyncSession, uscc: str) -> int:
    """The company's file was just created: announce its teams' facts (``company_in_kunshan`` is now known)."""
    teams = await repository.listed(session, uscc=uscc, limit=10_000)
    for team in teams:
        await publish(session, team, registered=False)
    return len(teams)
