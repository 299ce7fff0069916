from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from kunruyi_common.pagination import keyset_cursor, newest_first
from sqlalchemy import select

from kunruyi_matching.challenge import service
from kunruyi_matching.challenge.auth import Officer, OfficerOrReviewer, WritePartnerOfficerOrBroker
from kunruyi_matching.challenge.models import Challenge
from kunruyi_matching.challenge.schemas import (
    AcceptanceCreate,
    ApplicationCreate,
    AwardCreate,
    ChallengeCreate,
    ChallengeOut,
    ChallengePage,
    MilestoneCreate,
    ScoreCreate,
)

router = APIRouter(prefix="/api/v1/challenges", tags=["揭榜挂帅 challenges"])


@router.post("", status_code=201, response_model=ChallengeOut, summary="发布榜单")
async def publish(body: ChallengeCreate, session: SessionDep, principal: Officer) -> ChallengeOut:
    return await service.view(session, await service.publish(session, body, principal), principal)


@router.get("", response_model=ChallengePage, summary="榜单列表")
async def list_challenges(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[
        Literal["published", "reviewing", "awarded", "in_progress", "accepted"] | None,
        Query(description="按状态筛选"),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ChallengePage:
    stmt = select(Challenge)
    if status:
        stmt = stmt.where(Challenge.status == status)
    rows = list(
        (
            await session.execute(newest_first(stmt, Challenge.created_at, Challenge.id, cursor, limit))
        ).scalars()
    )
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return ChallengePage(
        items=[await service.view(session, c, principal) for c in rows[:limit]], next_cursor=next_cursor
    )


@router.get(
    "/{challenge_id}",
    response_model=ChallengeOut,
    summary="榜单详情（揭榜方案仅发榜方、工作人员和揭榜团队本方可见）",
)
async def get_challenge(
    challenge_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ChallengeOut:
    return await service.view(session, await service.get(session, challenge_id), principal)


@router.post("/{challenge_id}/applications", status_code=201, response_model=ChallengeOut, summary="团队揭榜")
async def apply(
    challenge_id: uuid.UUID,
    body: ApplicationCreate,
    session: SessionDep,
    principal: WritePartnerOfficerOrBroker,
) -> ChallengeOut:
    await service.apply(session, challenge_id, body, principal)
    return await service.view(session, await service.get(session, challenge_id), principal)


@router.post(
    "/{challenge_id}/applications/{application_id}/scores",
    response_model=ChallengeOut,
    summary="评审打分（评审专家本人，或工作人员代录具名专家的分数）",
)
async def score(
    challenge_id: uuid.UUID,
    application_id: uuid.UUID,
    body: ScoreCreate,
    session: SessionDep,
    principal: OfficerOrReviewer,
) -> ChallengeOut:
    await service.score(session, challenge_id, application_id, body, principal)
    return await service.view(session, await service.get(session, challenge_id), principal)


@router.post("/{challenge_id}/award", response_model=ChallengeOut, summary="确定揭榜方")
async def award(
    challenge_id: uuid.UUID, body: AwardCreate, session: SessionDep, principal: Officer
) -> ChallengeOut:
    return await service.view(session, await service.award(session, challenge_id, body, principal), principal)


@router.post("/{challenge_id}/milestones", response_model=ChallengeOut, summary="记录里程碑")
async def milestone(
    challenge_id: uuid.UUID, body: MilestoneCreate, session: SessionDep, principal: Officer
) -> ChallengeOut:
    return await service.view(
        session, await service.milestone(session, challenge_id, body, principal), principal
    )


@router.post("/{challenge_id}/acceptance", response_model=ChallengeOut, summary="验收")
async def accept(
    challenge_id: uuid.UUID, body: AcceptanceCreate, session: SessionDep, principal: Officer
) -> ChallengeOut:
    return await service.view(
        session, await service.accept(session, challenge_id, body, principal), principal
    )
