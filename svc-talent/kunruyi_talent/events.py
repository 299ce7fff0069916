"""Events svc-talent publishes. The data fields follow docs/contracts.md exactly; none carries a raw ID number
or phone — a talent is named by its pseudonymous ``talent_id``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from kunruyi_common.events import event_type
from pydantic import BaseModel, Field


class EnterpriseProfile(BaseModel):
    uscc: str
    name: str
    district: str
    industry_chain: str | None
    founded_on: date | None
    founded_years: int
    employees: int
    fiscal_year: int | None
    revenue_fen: int
    rd_expense_fen: int
    tax_paid_fen: int
    rd_ratio: float
    high_tech_revenue_ratio: float
    qualifications: list[str]
    new_qualifications: list[str]
    invention_patents: int
    platforms: list[str]
    growth_stage: str
    # kind → {"granted_on", "expires_on"}: the certificate's dates, so a reader can tell a status obtained in a
    # period (an award for it is due then, once) from one merely held
    qualification_dates: dict[str, dict[str, date | None]] = Field(default_factory=dict)
    # 科创平台 held (from the platform records): kind → the latest recognition date (an award for a new recognition
    # is due in that year, once), kind → its expiry (null: none), kind → the highest level held (国家/省/苏州/昆山)
    platform_dates: dict[str, date] = Field(default_factory=dict)
    platform_expiry: dict[str, date | None] = Field(default_factory=dict)
    platform_levels: dict[str, str] = Field(default_factory=dict)


@event_type("kunruyi.talent.enterprise.registered", description="一家企业建档（一企一档）")
class EnterpriseRegistered(EnterpriseProfile):
    pass


@event_type("kunruyi.talent.enterprise.updated", description="企业档案变更（基本信息、年度数据或资质）")
class EnterpriseUpdated(EnterpriseProfile):
    pass


class PersonProfile(BaseModel):
    talent_id: str
    name: str
    gender: Literal["male", "female"]
    age: int
    education: Literal["bachelor", "master", "doctor", "other"]
    overseas: bool
    title: str | None
    skill_level: str | None
    talent_programs: list[str]
    talent_class: Literal["A", "B", "C", "D", "E"] | None
    employer_uscc: str | None
    employer_qualifications: list[str]
    years_in_kunshan: int
    arrival_date: date | None = None  # 来昆工作日期: awards for newly arrived talent are due in that year
    annual_salary_fen: int | None
    expertise: str
    fields: list[str]
    industry_chain: str | None
    is_expert: bool


@event_type("kunruyi.talent.person.registered", description="人才建档（人才画像），不含身份证号与手机号")
class PersonRegistered(PersonProfile):
    pass


@event_type("kunruyi.talent.person.updated", description="人才画像变更，不含身份证号与手机号")
class PersonUpdated(PersonProfile):
    pass


class TicketFacts(BaseModel):
    ticket_number: str
    type: str
    channel: str
    department: str
    officer: str
    status: str
    enterprise_uscc: str | None
    service_code: str | None
    # The campaign (专项服务月) whose visit raised the problem (channel ``visit``).
    campaign_id: str | None = None
    # The talent who filed it, when a talent did (pseudonymous id): the inbox tells them of the reply.
    talent_id: str | None = None


@event_type("kunruyi.talent.ticket.submitted", description="诉求工单已提交并分派到部门和专人")
class TicketSubmitted(TicketFacts):
    pass


@event_type("kunruyi.talent.ticket.replied", description="诉求工单已答复")
class TicketReplied(TicketFacts):
    pass


@event_type("kunruyi.talent.ticket.resolved", description="诉求工单已解决")
class TicketResolved(TicketFacts):
    pass


@event_type("kunruyi.talent.ticket.overdue", description="诉求工单超过办理时限仍未答复")
class TicketOverdue(TicketFacts):
    pass


@event_type(
    "kunruyi.talent.ticket.transferred",
    description="诉求工单转办到另一部门（新承办人；办理时限按规则重新起算或保持）",
)
class TicketTransferred(TicketFacts):
    from_department: str
    deadline: date
    deadline_restarted: bool


@event_type(
    "kunruyi.talent.ticket.joint_handling_started",
    description="诉求工单邀请协办部门共同处理（一个窗口接单，后台共同处理）；每邀请一个部门发一次",
)
class TicketJointHandlingStarted(TicketFacts):
    co_department: str
    co_officer: str
    co_departments: list[str]


@event_type(
    "kunruyi.talent.ticket.part_answered",
    description="协办部门答复了其负责的部分；all_parts_answered 为真时牵头部门可以答复诉求人",
)
class TicketPartAnswered(TicketFacts):
    part_department: str
    all_parts_answered: bool


@event_type(
    "kunruyi.talent.ticket.rated",
    description="诉求人评价了工单的答复（满意、基本满意、不满意；每次答复一次），不含评价说明",
)
class TicketRated(TicketFacts):
    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    satisfaction: int


@event_type(
    "kunruyi.talent.ticket.reopened",
    description="诉求人对答复不满意，在答复后 7 日内重新打开，工单回到承办部门办理；不含原因原文",
)
class TicketReopened(TicketFacts):
    reopened_at: datetime


class HousingStep(BaseModel):
    application_id: str
    talent_id: str
    project_code: str
    status: str
    score: int
    unit_id: str | None = None
    unit_number: str | None = None
    offer_id: str | None = None
    expires_at: datetime | None = None


@event_type("kunruyi.talent.housing_application.queued", description="人才租赁住房申请进入轮候库")
class HousingApplicationQueued(HousingStep):
    pass


@event_type("kunruyi.talent.housing_offer.made", description="房源空出，向轮候第一位发出配租通知")
class HousingOfferMade(HousingStep):
    pass


@event_type("kunruyi.talent.housing_offer.accepted", description="申请人接受配租")
class HousingOfferAccepted(HousingStep):
    pass


@event_type("kunruyi.talent.housing_offer.declined", description="申请人放弃配租")
class HousingOfferDeclined(HousingStep):
    pass


@event_type("kunruyi.talent.housing_offer.lapsed", description="配租通知逾期未答复而失效")
class HousingOfferLapsed(HousingStep):
    pass


__all__ = [
    "ActivityCheckedIn",
    "ActivityLeadConverted",
    "ActivityPublished",
    "EnterpriseRegistered",
    "EnterpriseUpdated",
    "HousingApplicationQueued",
    "HousingOfferAccepted",
    "HousingOfferDeclined",
    "HousingOfferLapsed",
    "HousingOfferMade",
    "PersonRegistered",
    "PersonUpdated",
    "PlatformRecognized",
    "PlatformReviewFailed",
    "TeamRegistered",
    "TeamUpdated",
    "TicketJointHandlingStarted",
    "TicketOverdue",
    "TicketPartAnswered",
    "TicketRated",
    "TicketReopened",
    "TicketReplied",
    "TicketResolved",
    "TicketSubmitted",
    "TicketTransferred",
]


@event_type("kunruyi.talent.activity.published", description="发布一场活动（路演、沙龙、宣讲、聚链融创等）")
class ActivityPublished(BaseModel):
    activity_id: str
    kind: str
    title: str
    department: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    industry_chain: str | None


@event_type(
    "kunruyi.talent.activity.checked_in",
    description="报名者凭活动签到码签到（门口扫码或本人手机签到，每个报名只发一次）；人才以人才编号标识，"
    "个人以手机号掩码标识",
)
class ActivityCheckedIn(BaseModel):
    activity_id: str
    kind: str
    registration_id: str
    attendee_type: Literal["enterprise", "talent", "person"]
    attendee: str
    checked_in_at: datetime


class PlatformFacts(BaseModel):
    platform_id: str
    uscc: str
    enterprise_name: str
    kind: str
    kind_name: str
    level: Literal["国家", "省", "苏州", "昆山"]
    department: str
    recognized_on: date
    expires_on: date | None
    issuing_body: str
    certificate_number: str


@event_type(
    "kunruyi.talent.platform.recognized",
    description="登记一个科创平台的认定（博士后工作站、工程技术研究中心、企业技术中心、新型研发机构、孵化器、众创空间…，"
    "国家/省/苏州/昆山级）；企业档案随之发布 enterprise.updated（platform_dates 等）",
)
class PlatformRecognized(PlatformFacts):
    pass


@event_type(
    "kunruyi.talent.platform.review_failed",
    description="科创平台年度考核不合格：自登记之日起不再视为有效平台（企业档案随之发布 enterprise.updated）",
)
class PlatformReviewFailed(PlatformFacts):
    year: int
    result: str


@event_type(
    "kunruyi.talent.activity_lead.converted",
    description="活动上登记的需求线索已转化：为服务工单（本服务受理）或为技术需求（svc-matching 据此受理一条需求，"
    "其 demand.submitted 带回线索编号）；文本已脱敏",
)
class ActivityLeadConverted(BaseModel):
    lead_id: str
    activity_id: str
    activity_kind: str
    to: Literal["ticket", "demand"]
    enterprise_uscc: str | None
    talent_id: str | None
    ticket_number: str | None
    title: str
    description: str
    industry_chain: str | None
    technical_field: str | None
    demand_type: str | None


class TeamFacts(BaseModel):
    """A 创新创业团队 as rules need it: ids and counts only — no team name, no member's name or personal data."""

    team_id: str
    uscc: str
    # the company's file is in the registry (一企一档, Kunshan's companies): then registered in Kunshan; null: unknown
    company_on_file: bool
    company_in_kunshan: bool | None
    lead_talent_id: str
    lead_talent_class: Literal["A", "B", "C", "D", "E"] | None
    member_ids: list[str]
    member_count: int
    # core members counting the lead (带头人 + 核心成员)
    core_member_count: int
    doctorate_members: int
    overseas_members: int
    # members listed in at least one talent program (人才计划)
    program_members: int
    team_programs: list[str]


@event_type(
    "kunruyi.talent.team.registered",
    description="登记一个创新创业团队（双创团队）：所在企业、带头人、成员人数与构成（只含编号与计数，不含姓名）",
)
class TeamRegistered(TeamFacts):
    pass


@event_type(
    "kunruyi.talent.team.updated",
    description="团队变更（成员、带头人，或成员的人才画像变化使团队构成改变）；只含编号与计数",
)
class TeamUpdated(TeamFacts):
    pass
