"""The events svc-matching publishes (stream KUNRUYI_MATCHING)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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


@event_type(
    "kunruyi.matching.financing.closed",
    description="融资放款/交割完成（贷款、投资、担保、保险）：金额、利率、期限、产品、担保费/保费",
)
class FinancingClosed(BaseModel):
    pipeline_id: str
    demand_id: str
    enterprise_uscc: str
    institution: str
    institution_kind: str  # bank | investor | fund | guarantor | insurer
    product_id: str
    product_kind: (
        str  # talent_loan | tech_loan | ip_pledge_loan | equity_investment | angel_fund | guarantee | …
    )
    product_name: str
    loan_number: str
    amount_fen: int
    annual_rate_percent: Decimal | None = None
    term_months: int | None = None
    # amount × rate × min(term, 12) / 12, half-up to the fen: the interest of the loan's first year
    first_year_interest_fen: int | None = None
    guarantee_fee_fen: int | None = None
    premium_fen: int | None = None
    closed_on: date
    collateral_kinds: list[str]
    recorded_by: str
