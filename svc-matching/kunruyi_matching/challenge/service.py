"""揭榜挂帅: publish → teams apply (揭榜) → reviewers score → award → milestones → acceptance (验收).

Status moves published → reviewing (the first score closes applications) → awarded → in_progress (first
milestone) → accepted. Each step is an event; a step the current status does not allow is a 409 naming the
steps it does allow.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidTransition
from kunruyi_common.events.outbox import add_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.challenge.exceptions import (
    AlreadyApplied,
    AlreadyScored,
    ApplicationNotFound,
    ApplicationNotScored,
    ChallengeClosed,
    ChallengeNotFound,
    NotYourScore,
    ReviewerRequired,
)
from kunruyi_matching.challenge.models import (
    Challenge,
    ChallengeApplication,
    ChallengeMilestone,
    ChallengeScore,
)
from kunruyi_matching.challenge.schemas import (
    AcceptanceCreate,
    ApplicationCreate,
    ApplicationOut,
    AwardCreate,
    ChallengeCreate,
    ChallengeOut,
    MilestoneCreate,
    MilestoneOut,
    ScoreCreate,
)
from kunruyi_matching.events import (
    ChallengeAccepted,
    ChallengeApplied,
    ChallengeAwarded,
    ChallengeMilestoneRecorded,
    ChallengePublished,
    ChallengeScored,
)

STEPS = {
    "published": ["apply", "score"],
    "reviewing": ["score", "award"],
    "awarded": ["milestone"],
    "in_progress": ["milestone", "accept"],
    "accepted": [],
}
STEP_LABELS = {
    "apply": "揭榜",
    "score": "评审打分",
    "award": "确定揭榜方",
    "milestone": "里程碑",
    "accept": "验收",
}


def _require(challenge: Challenge, step: str) -> None:
    allowed = STEPS[challenge.status]
    if step not in allowed:
        names = "、".join(f"{s}（{STEP_LABELS[s]}）" for s in allowed) or "无"
        raise InvalidTransition(
            f"榜单当前状态为 {challenge.status}，不能进行“{STEP_LABELS[step]}”；允许：{names}",
            allowed_next=allowed,
        )


def _base(challenge: Challenge, actor: str) -> dict[str, str]:
    return {
        "challenge_id": str(challenge.id),
        "title": challenge.title,
        "status": challenge.status,
        "actor": actor,
    }


async def get(session: AsyncSession, challenge_id: uuid.UUID, *, for_update: bool = False) -> Challenge:
    stmt = select(Challenge).where(Challenge.id == challenge_id)
    if for_update:
        stmt = stmt.with_for_update()
    challenge = (await session.execute(stmt)).scalar_one_or_none()
    if challenge is None:
        raise ChallengeNotFound(f"榜单 {challenge_id} 不存在")
    return challenge


async def _application(
    session: AsyncSession, challenge: Challenge, application_id: uuid.UUID
) -> ChallengeApplication:
    application = await session.get(ChallengeApplication, application_id)
    if application is None or application.challenge_id != challenge.id:
        raise ApplicationNotFound(f"揭榜申请 {application_id} 不存在")
    return application


async def publish(session: AsyncSession, body: ChallengeCreate, principal: Principal) -> Challenge:
    challenge = Challenge(
        id=uuid.uuid4(), status="published", created_by=principal.subject, **body.model_dump()
    )
    session.add(challenge)
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengePublished(
            **_base(challenge, principal.subject),
            budget_fen=challenge.budget_fen,
            deadline=challenge.deadline,
            industry_chain=challenge.industry_chain,
        ),
        subject=str(challenge.id),
    )
    return challenge


async def apply(
    session: AsyncSession, challenge_id: uuid.UUID, body: ApplicationCreate, principal: Principal
) -> ChallengeApplication:
    challenge = await get(session, challenge_id, for_update=True)
    _require(challenge, "apply")
    if challenge.deadline < local_today():
        raise ChallengeClosed("揭榜已截止", allowed_next=["score"])
    exists = (
        await session.execute(
            select(ChallengeApplication.id).where(
                ChallengeApplication.challenge_id == challenge.id,
                ChallengeApplication.team_name == body.team_name,
            )
        )
    ).first()
    if exists:
        raise AlreadyApplied(f"团队“{body.team_name}”已揭榜")
    application = ChallengeApplication(id=uuid.uuid4(), challenge_id=challenge.id, **body.model_dump())
    session.add(application)
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeApplied(
            **_base(challenge, principal.subject),
            application_id=str(application.id),
            team_name=application.team_name,
        ),
        subject=str(challenge.id),
    )
    return application


def score_reviewer(body: ScoreCreate, principal: Principal) -> str:
    """A reviewer scores as themselves; an officer records a panel member's score, naming them."""
    if body.reviewer is None:
        if not principal.has_role("reviewer"):
            raise ReviewerRequired("工作人员代录评审分数时须填写评审专家（reviewer）", field="reviewer")
        return principal.subject
    if body.reviewer != principal.subject and not principal.has_role("officer"):
        raise NotYourScore("评审专家只能以本人名义打分")
    return body.reviewer


async def score(
    session: AsyncSession,
    challenge_id: uuid.UUID,
    application_id: uuid.UUID,
    body: ScoreCreate,
    principal: Principal,
) -> None:
    reviewer = score_reviewer(body, principal)
    challenge = await get(session, challenge_id, for_update=True)
    _require(challenge, "score")
    application = await _application(session, challenge, application_id)
    exists = (
        await session.execute(
            select(ChallengeScore.id).where(
                ChallengeScore.application_id == application.id, ChallengeScore.reviewer == reviewer
            )
        )
    ).first()
    if exists:
        raise AlreadyScored("该评审已为此申请打分")
    session.add(
        ChallengeScore(
            application_id=application.id, reviewer=reviewer, score=body.score, comment=body.comment
        )
    )
    challenge.status = "reviewing"
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeScored(
            **_base(challenge, principal.subject),
            application_id=str(application.id),
            reviewer=reviewer,
            score=body.score,
        ),
        subject=str(challenge.id),
    )


async def award(
    session: AsyncSession, challenge_id: uuid.UUID, body: AwardCreate, principal: Principal
) -> Challenge:
    challenge = await get(session, challenge_id, for_update=True)
    _require(challenge, "award")
    application = await _application(session, challenge, body.application_id)
    scored = (
        await session.execute(select(func.count()).where(ChallengeScore.application_id == application.id))
    ).scalar_one()
    if not scored:
        raise ApplicationNotScored("未经评审打分的申请不能确定为揭榜方", field="application_id")
    challenge.status = "awarded"
    challenge.awarded_application_id = application.id
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeAwarded(
            **_base(challenge, principal.subject),
            application_id=str(application.id),
            team_name=application.team_name,
            publisher_uscc=challenge.publisher_uscc,
        ),
        subject=str(challenge.id),
    )
    return challenge


async def milestone(
    session: AsyncSession, challenge_id: uuid.UUID, body: MilestoneCreate, principal: Principal
) -> Challenge:
    challenge = await get(session, challenge_id, for_update=True)
    _require(challenge, "milestone")
    session.add(
        ChallengeMilestone(
            challenge_id=challenge.id,
            title=body.title,
            note=body.note,
            recorded_by=principal.subject,
            at=datetime.now(UTC),
        )
    )
    challenge.status = "in_progress"
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeMilestoneRecorded(**_base(challenge, principal.subject), milestone=body.title),
        subject=str(challenge.id),
    )
    return challenge


async def accept(
    session: AsyncSession, challenge_id: uuid.UUID, body: AcceptanceCreate, principal: Principal
) -> Challenge:
    challenge = await get(session, challenge_id, for_update=True)
    _require(challenge, "accept")
    challenge.status = "accepted"
    challenge.accepted_at = datetime.now(UTC)
    session.add(
        ChallengeMilestone(
            challenge_id=challenge.id,
            title="验收通过",
            note=body.note,
            recorded_by=principal.subject,
            at=challenge.accepted_at,
        )
    )
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeAccepted(**_base(challenge, principal.subject)),
        subject=str(challenge.id),
    )
    return challenge


async def view(session: AsyncSession, challenge: Challenge) -> ChallengeOut:
    apps = list(
        (
            await session.execute(
                select(ChallengeApplication)
                .where(ChallengeApplication.challenge_id == challenge.id)
                .order_by(ChallengeApplication.created_at)
            )
        ).scalars()
    )
    stats = (
        {
            app_id: (int(n), float(avg))
            for app_id, n, avg in (
                await session.execute(
                    select(ChallengeScore.application_id, func.count(), func.avg(ChallengeScore.score))
                    .where(ChallengeScore.application_id.in_([a.id for a in apps]))
                    .group_by(ChallengeScore.application_id)
                )
            ).all()
        }
        if apps
        else {}
    )
    milestones = (
        await session.execute(
            select(ChallengeMilestone)
            .where(ChallengeMilestone.challenge_id == challenge.id)
            .order_by(ChallengeMilestone.at, ChallengeMilestone.id)
        )
    ).scalars()
    return ChallengeOut(
        id=challenge.id,
        title=challenge.title,
        goal=challenge.goal,
        requirements=challenge.requirements,
        industry_chain=challenge.industry_chain,
        budget_fen=challenge.budget_fen,
        deadline=challenge.deadline,
        publisher_uscc=challenge.publisher_uscc,
        status=challenge.status,
        allowed_next=STEPS[challenge.status],
        awarded_application_id=challenge.awarded_application_id,
        accepted_at=challenge.accepted_at,
        applications=[
            ApplicationOut(
                id=a.id,
                team_name=a.team_name,
                leader=a.leader,
                organization=a.organization,
                proposal=a.proposal,
                scores=stats.get(a.id, (0, 0.0))[0],
                average_score=round(stats[a.id][1], 2) if a.id in stats else None,
            )
            for a in apps
        ],
        milestones=[MilestoneOut.model_validate(m) for m in milestones],
    )
