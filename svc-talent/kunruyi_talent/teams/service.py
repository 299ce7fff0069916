"""创新创业团队 (双创团队): registering a team of existing talent for a company, changing its members, and the facts
svc-policy's rules read (``kunruyi.talent.team.registered|updated``: ids and counts only).

A team has exactly one lead (带头人), who is among its members; every other member is core (核心成员) or member.
Registering and changing a team is for officers of 人才办 (another department's officer gets 403). Everything is
checked before anything is written: a refused request leaves no row and no event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.errors import OtherDepartment
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.enterprise.service import validate_uscc
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import Enterprise, Talent, Team, TeamMember
from kunruyi_talent.teams import facts as team_facts
from kunruyi_talent.teams import repository
from kunruyi_talent.teams.exceptions import (
    DuplicateTeamMember,
    LeadNotMember,
    TeamLeadConflict,
    TeamNotFound,
)
from kunruyi_talent.teams.schemas import ROLE_NAMES, MemberOut, MembersIn, TeamCreate, TeamOut

DEPARTMENT = "人才办"


def _check_department(principal: Principal) -> None:
    if not principal.has_role("admin") and principal.department != DEPARTMENT:
        raise OtherDepartment(f"创新创业团队由{DEPARTMENT}登记和管理，您所在部门不能登记或变更团队")


async def _checked_members(session: AsyncSession, data: MembersIn) -> list[tuple[uuid.UUID, str]]:
    """(talent id, role) in the given order, the lead's role ``lead``; or the first problem, naming its field."""
    seen: dict[uuid.UUID, int] = {}
    for i, m in enumerate(data.members):
        if m.talent_id in seen:
            raise DuplicateTeamMember(
                f"人才 {m.talent_id} 在成员名单中重复（第 {seen[m.talent_id] + 1} 与第 {i + 1} 位）",
                field=f"members.{i}.talent_id",
            )
        seen[m.talent_id] = i
    if data.lead_talent_id not in seen:
        raise LeadNotMember(
            f"带头人 {data.lead_talent_id} 不在成员名单中；请把带头人列入 members", field="lead_talent_id"
        )
    for i, m in enumerate(data.members):
        if m.role == "lead" and m.talent_id != data.lead_talent_id:
            raise TeamLeadConflict(
                f"第 {i + 1} 位成员标为带头人，但带头人是 {data.lead_talent_id}；一个团队只有一位带头人",
                field=f"members.{i}.role",
            )
    known = set((await session.scalars(select(Talent.id).where(Talent.id.in_(list(seen))))).all())
    for i, m in enumerate(data.members):
        if m.talent_id not in known:
            raise UnknownTalent(f"没有编号为 {m.talent_id} 的人才档案", field=f"members.{i}.talent_id")
    return [(m.talent_id, "lead" if m.talent_id == data.lead_talent_id else m.role) for m in data.members]


def _programs(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        tag = v.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


async def get(session: AsyncSession, team_id: uuid.UUID, *, for_update: bool = False) -> Team:
    team = await repository.one(session, team_id, for_update=for_update)
    if team is None:
        raise TeamNotFound(f"没有编号为 {team_id} 的团队")
    return team


def view(team: Team, members: list[tuple[TeamMember, Talent]], enterprise: Enterprise | None) -> TeamOut:
    found = team_facts.facts(team, members, enterprise)
    return TeamOut(
        id=team.id,
        name=team.name,
        uscc=team.uscc,
        enterprise_name=enterprise.name if enterprise is not None else None,
        company_in_kunshan=found.company_in_kunshan,
        lead_talent_id=team.lead_talent_id,
        programs=list(team.programs),
        member_count=found.member_count,
        core_member_count=found.core_member_count,
        doctorate_members=found.doctorate_members,
        overseas_members=found.overseas_members,
        program_members=found.program_members,
        members=[
            MemberOut(
                talent_id=m.talent_id,
                role=m.role,
                role_name=ROLE_NAMES[m.role],
                talent_class=t.talent_class,
                education=t.education,
                overseas=t.overseas,
                in_program=bool(t.programs),
            )
            for m, t in members
        ],
        created_at=team.created_at,
        updated_at=team.updated_at,
    )


async def views(session: AsyncSession, teams: list[Team]) -> list[TeamOut]:
    members = await repository.members_of(session, [t.id for t in teams])
    enterprises = await repository.enterprises_by_uscc(session, [t.uscc for t in teams])
    return [view(t, members.get(t.id, []), enterprises.get(t.uscc)) for t in teams]


def _member_rows(team_id: uuid.UUID, members: list[tuple[uuid.UUID, str]]) -> list[TeamMember]:
    return [
        TeamMember(team_id=team_id, talent_id=talent_id, role=role, position=i)
        for i, (talent_id, role) in enumerate(members)
    ]


async def register(session: AsyncSession, data: TeamCreate, principal: Principal) -> TeamOut:
    """Check everything, then write the team, its members and its event in one unit of work."""
    _check_department(principal)
    uscc = validate_uscc(data.uscc.strip(), "uscc")
    members = await _checked_members(session, data)
    team = Team(
        id=uuid.uuid4(),
        name=data.name.strip(),
        uscc=uscc,
        lead_talent_id=data.lead_talent_id,
        programs=_programs(data.programs),
        created_by=actor_of(principal),
    )
    session.add(team)
    await session.flush()
    session.add_all(_member_rows(team.id, members))
    await session.flush()
    await session.refresh(team)
    await team_facts.publish(session, team, registered=True)
    return (await views(session, [team]))[0]


async def replace_members(
    session: AsyncSession, team_id: uuid.UUID, data: MembersIn, principal: Principal
) -> TeamOut:
    """The new member list (and lead) in place of the old one, and the team's ``updated`` event."""
    _check_department(principal)
    team = await get(session, team_id, for_update=True)
    members = await _checked_members(session, data)
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    team.lead_talent_id = data.lead_talent_id
    team.updated_at = datetime.now(UTC)
    await session.flush()
    session.add_all(_member_rows(team.id, members))
    await session.flush()
    await team_facts.publish(session, team, registered=False)
    return (await views(session, [team]))[0]
