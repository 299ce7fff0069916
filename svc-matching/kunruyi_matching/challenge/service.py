"""揭榜挂帅: publish → teams apply (揭榜) → reviewers score → award → milestones → acceptance (验收).

Status moves published → reviewing (the first score closes applications) → awarded → in_progress (first
milestone) → accepted. Each step is an event; a step the current status does not allow is a 409 naming the
steps it does allow.

Free text (the challenge's title, goal and requirements, a team's name, leader, organisation and proposal, score
comments, milestone titles and notes, the acceptance note) is stored with the personal numbers people typed into
it masked (``kunruyi_common.pii_text``), so rows, events and answers never hold them.

Whose it is: a challenge belongs to the department of the officer who published it (``challenges.department``, the
``department`` claim of the staff token). Scoring (a reviewer's own, or an officer recording a panel member's),
awarding, milestones and acceptance are taken by that department's staff only, admins for every department;
anyone else is refused with 403 ``other_department`` (:func:`ensure_department`). Staff whose token names no
department publish nothing and act on nothing, as in the other services; a challenge with no department (published
before migration matching_0014, or by an admin without one) is left to admins.
Filing a team (揭榜) is open to brokers, partners and officers of any department: they act for a team, not on the
challenge. A reviewer never scores a team they filed themselves (403 ``own_application``), nor does an officer
record a score in their name for it; each reviewer scores an application once (409 ``already_scored``).

Who reads what (:func:`view`): the teams' applications (leader, organisation, proposal, scores) and the
milestones are read by the staff running the challenge (its department's officers and reviewers; admins) and by
the company that published it (signed in as that company); a team reads its own application, and the winning team
the milestones. Everyone else — other applicants, brokers, partners, 昆e服 visitors, another department's staff —
reads the challenge itself and, once awarded, the winning team's name.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidTransition, OtherDepartment
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import mask_pii
from pydantic import BaseModel
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
    OwnApplication,
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


def _masked(body: BaseModel, *names: str) -> dict[str, Any]:
    """The body's fields with the personal numbers in the free-text ``names`` masked (None stays None)."""
    values = body.model_dump()
    for name in names:
        if values[name] is not None:
            values[name] = mask_pii(values[name])
    return values


def applicant_of(principal: Principal) -> str:
    """Who filed an application, as kept in ``challenge_applications.applied_by``."""
    return f"{principal.kind}:{principal.subject}"


def of_department(challenge: Challenge, principal: Principal) -> bool:
    """Whether ``principal`` is staff of the challenge's department (or an admin, who acts for every one)."""
    return principal.acts_for(challenge.department)


def ensure_department(challenge: Challenge, principal: Principal, doing: str) -> None:
    """Staff of the challenge's department (admins: every challenge) take its steps; anyone else is 403
    ``other_department``. ``doing`` names the step in the refusal."""
    if of_department(challenge, principal):
        return
    owner = f"由{challenge.department}发布" if challenge.department else "未登记发布部门（仅管理员可办理）"
    raise OtherDepartment(
        f"该榜单{owner}，您所在的部门（{principal.department or '未设置'}）不能{doing}",
        department=challenge.department,
        your_department=principal.department,
    )


def reads_every_application(challenge: Challenge, principal: Principal) -> bool:
    """The staff running the challenge (its department's officers and reviewers; admins) and the company that
    published it."""
    if principal.has_role("officer", "reviewer") and of_department(challenge, principal):
        return True
    return challenge.publisher_uscc is not None and principal.signed_in_enterprise == challenge.publisher_uscc


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
    if not principal.department and "admin" not in principal.roles:
        raise OtherDepartment("发布榜单须以所在部门的名义：您的账号未设置部门", your_department=None)
    challenge = Challenge(
        id=uuid.uuid4(),
        status="published",
        created_by=principal.subject,
        department=principal.department,
        **_masked(body, "title", "goal", "requirements"),
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
    fields = _masked(body, "team_name", "leader", "organization", "proposal")
    exists = (
        await session.execute(
            select(ChallengeApplication.id).where(
                ChallengeApplication.challenge_id == challenge.id,
                ChallengeApplication.team_name == fields["team_name"],
            )
        )
    ).first()
    if exists:
        raise AlreadyApplied(f"团队“{fields['team_name']}”已揭榜")
    application = ChallengeApplication(
        id=uuid.uuid4(), challenge_id=challenge.id, applied_by=applicant_of(principal), **fields
    )
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
    ensure_department(challenge, principal, "评审打分")
    _require(challenge, "score")
    application = await _application(session, challenge, application_id)
    if application.applied_by == f"staff:{reviewer}":
        raise OwnApplication(f"该揭榜申请由评审专家 {reviewer} 本人提交，须回避，不能为其打分")
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
            application_id=application.id,
            reviewer=reviewer,
            score=body.score,
            comment=_masked(body, "comment")["comment"],
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
    ensure_department(challenge, principal, "确定揭榜方")
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
    ensure_department(challenge, principal, "记录里程碑")
    _require(challenge, "milestone")
    fields = _masked(body, "title", "note")
    record = ChallengeMilestone(
        challenge_id=challenge.id,
        title=fields["title"],
        note=fields["note"],
        recorded_by=principal.subject,
        at=datetime.now(UTC),
    )
    session.add(record)
    challenge.status = "in_progress"
    await session.flush()
    await add_event(
        session,
        "matching",
        ChallengeMilestoneRecorded(**_base(challenge, principal.subject), milestone=record.title),
        subject=str(challenge.id),
    )
    return challenge


async def accept(
    session: AsyncSession, challenge_id: uuid.UUID, body: AcceptanceCreate, principal: Principal
) -> Challenge:
    challenge = await get(session, challenge_id, for_update=True)
    ensure_department(challenge, principal, "验收")
    _require(challenge, "accept")
    challenge.status = "accepted"
    challenge.accepted_at = datetime.now(UTC)
    session.add(
        ChallengeMilestone(
            challenge_id=challenge.id,
            title="验收通过",
            note=_masked(body, "note")["note"],
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


async def view(session: AsyncSession, challenge: Challenge, principal: Principal) -> ChallengeOut:
    """The challenge as ``principal`` may read it (module docstring): every application for the staff running it
    and its publisher, a team's own otherwise; the milestones for those and the winning team."""
    apps = list(
        (
            await session.execute(
                select(ChallengeApplication)
                .where(ChallengeApplication.challenge_id == challenge.id)
                .order_by(ChallengeApplication.created_at)
            )
        ).scalars()
    )
    awarded = next((a for a in apps if a.id == challenge.awarded_application_id), None)
    reads_all = reads_every_application(challenge, principal)
    if not reads_all:
        apps = [a for a in apps if a.applied_by == applicant_of(principal)]
    reads_milestones = reads_all or (awarded is not None and awarded in apps)
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
    milestones: list[ChallengeMilestone] = []
    if reads_milestones:
        milestones = list(
            (
                await session.execute(
                    select(ChallengeMilestone)
                    .where(ChallengeMilestone.challenge_id == challenge.id)
                    .order_by(ChallengeMilestone.at, ChallengeMilestone.id)
                )
            ).scalars()
        )
    return ChallengeOut(
        id=challenge.id,
        title=challenge.title,
        goal=challenge.goal,
        requirements=challenge.requirements,
        industry_chain=challenge.industry_chain,
        budget_fen=challenge.budget_fen,
        deadline=challenge.deadline,
        publisher_uscc=challenge.publisher_uscc,
        department=challenge.department,
        status=challenge.status,
        allowed_next=STEPS[challenge.status],
        awarded_application_id=challenge.awarded_application_id,
        awarded_team_name=awarded.team_name if awarded is not None else None,
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
