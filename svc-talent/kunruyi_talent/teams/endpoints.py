from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.db import SessionDep

from kunruyi_talent.enterprise.service import validate_uscc
from kunruyi_talent.teams import repository, service
from kunruyi_talent.teams.auth import Officer, ReadingStaffOrPartner
from kunruyi_talent.teams.schemas import MembersIn, TeamCreate, TeamOut, TeamPage

router = APIRouter(prefix="/api/v1", tags=["创新创业团队 teams"])


@router.post(
    "/teams",
    status_code=201,
    response_model=TeamOut,
    summary="登记创新创业团队（双创团队）：所在企业、带头人与成员（人才办）",
)
async def register_team(body: TeamCreate, session: SessionDep, principal: Officer) -> TeamOut:
    return await service.register(session, body, principal)


@router.get("/teams", response_model=TeamPage, summary="团队列表（按企业、成员、团队计划筛选；新登记的在前）")
async def list_teams(
    session: SessionDep,
    principal: ReadingStaffOrPartner,
    uscc: Annotated[str | None, Query(description="所在企业统一社会信用代码")] = None,
    talent_id: Annotated[uuid.UUID | None, Query(description="含该人才的团队")] = None,
    program: Annotated[str | None, Query(max_length=60, description="团队计划（如 昆山双创团队）")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> TeamPage:
    code = validate_uscc(uscc, "query.uscc") if uscc is not None else None
    teams = await repository.listed(session, uscc=code, talent_id=talent_id, program=program, limit=limit)
    return TeamPage(items=await service.views(session, teams))


@router.get("/teams/{team_id}", response_model=TeamOut, summary="团队详情：成员、角色与构成")
async def get_team(team_id: uuid.UUID, session: SessionDep, principal: ReadingStaffOrPartner) -> TeamOut:
    team = await service.get(session, team_id)
    return (await service.views(session, [team]))[0]


@router.put(
    "/teams/{team_id}/members",
    response_model=TeamOut,
    summary="更换团队成员名单与带头人（整体替换；人才办）",
)
async def put_members(
    team_id: uuid.UUID, body: MembersIn, session: SessionDep, principal: Officer
) -> TeamOut:
    return await service.replace_members(session, team_id, body, principal)
