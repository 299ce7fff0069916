"""Reading teams with their members (and the members' talent records)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import Enterprise, Talent, Team, TeamMember


async def one(session: AsyncSession, team_id: uuid.UUID, *, for_update: bool = False) -> Team | None:
    stmt = select(Team).where(Team.id == team_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def listed(
    session: AsyncSession,
    *,
    uscc: str | None = None,
    talent_id: uuid.UUID | None = None,
    program: str | None = None,
    limit: int = 200,
) -> list[Team]:
    stmt = select(Team)
    if uscc is not None:
        stmt = stmt.where(Team.uscc == uscc)
    if talent_id is not None:
        stmt = stmt.where(Team.id.in_(select(TeamMember.team_id).where(TeamMember.talent_id == talent_id)))
    if program is not None:
        stmt = stmt.where(Team.programs.contains([program]))
    stmt = stmt.order_by(Team.created_at.desc(), Team.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def members_of(
    session: AsyncSession, team_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[TeamMember, Talent]]]:
    out: dict[uuid.UUID, list[tuple[TeamMember, Talent]]] = defaultdict(list)
    if not team_ids:
        return out
    rows = await session.execute(
        select(TeamMember, Talent)
        .join(Talent, Talent.id == TeamMember.talent_id)
        .where(TeamMember.team_id.in_(team_ids))
        .order_by(TeamMember.team_id, TeamMember.position)
    )
    for member, talent in rows.all():
        out[member.team_id].append((member, talent))
    return out


async def enterprises_by_uscc(session: AsyncSession, codes: list[str]) -> dict[str, Enterprise]:
    if not codes:
        return {}
    rows = await session.scalars(select(Enterprise).where(Enterprise.uscc.in_(sorted(set(codes)))))
    return {e.uscc: e for e in rows}


async def team_ids_of_talent(session: AsyncSession, talent_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(TeamMember.team_id).where(TeamMember.talent_id == talent_id).order_by(TeamMember.team_id)
    )
    return list(rows.all())
