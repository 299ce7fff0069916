"""The events svc-matching publishes (stream KUNRUYI_MATCHING)."""

from __future__ import annotations

from datetime import date, datetime

from kunruyi_common.events.envelope import event_type
from pydantic import BaseModel


class _DemandEvent(BaseModel):
    demand_id: str
    enterprise_uscc: str
    title: str
    industry_chain: str
    technical_field: str
    demand_type: str
    channel: str
    status: str
    # The svc-talent activity lead the demand was filed from (channel ``activity``), else None.
    lead_id: str | None = None


@event_type("kunruyi.matching.demand.submitted", description="技术需求已提交，待审核入库")
class DemandSubmitted(_DemandEvent):
    submitted_by: str


@event_type("kunruyi.matching.demand.approved", description="技术需求审核通过，入库")
class DemandApproved(_DemandEvent):
    approved_by: str


@event_type("kunruyi.matching.demand.assigned", description="技术需求已由经纪人认领或被指派")
class DemandAssigned(BaseModel):
    demand_id: str
    enterprise_uscc: str
    broker_id: str
    broker_subject: str
    agency: str
    mode: str  # claim | batch | arrival
    affinity: float | None = None


@event_type("kunruyi.matching.engagement.stage_changed", description="撮合流程阶段变更")
class EngagementStageChanged(BaseModel):
    demand_id: str
    stage: str
    previous_stage: str | None
    actor: str
    note: str | None
    at: datetime
    broker_id: str | None
    contract_number: str | None = None
    contract_amount_fen: int | None = None
    broker_reward_fen: int | None = None


class _ChallengeEvent(BaseModel):
    challenge_id: str
    title: str
    status: str
    actor: str


@event_type("kunruyi.matching.challenge.published", description="揭榜挂帅榜单发布")
class ChallengePublished(_ChallengeEvent):
    budget_fen: int
    deadline: date
    industry_chain: str


@event_type("kunruyi.matching.challenge.applied", description="团队揭榜")
class ChallengeApplied(_ChallengeEvent):
    application_id: str
    team_name: str


@event_type("kunruyi.matching.challenge.scored", description="评审打分")
class ChallengeScored(_ChallengeEvent):
    application_id: str
    reviewer: str
    score: int


@event_type("kunruyi.matching.challenge.awarded", description="确定揭榜团队")
class ChallengeAwarded(_ChallengeEvent):
    application_id: str
    team_name: str
    # The company that published the challenge (发榜方), told of the award in its inbox; None when staff published it.
    publisher_uscc: str | None = None


@event_type("kunruyi.matching.challenge.milestone_recorded", description="揭榜项目里程碑")
class ChallengeMilestoneRecorded(_ChallengeEvent):
    milestone: str


@event_type("kunruyi.matching.challenge.accepted", description="揭榜项目验收通过")
class ChallengeAccepted(_ChallengeEvent):
    pass
