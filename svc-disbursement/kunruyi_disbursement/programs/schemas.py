"""Request and response shapes of the talent programs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from kunruyi_common.fields import Uscc
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_FEN = 10**13  # 1,000 亿元: far above any program's funding


class ProgramIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "KS-SC-RC",
                    "title": "昆山双创人才",
                    "applicant_kind": "talent",
                    "department": "科技局",
                }
            ]
        }
    )

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=200)
    applicant_kind: Literal["talent", "team"] = Field(
        description="talent 个人申报（双创人才），team 团队申报"
    )
    department: str | None = Field(
        None, max_length=100, description="主管部门；不填为创建者所在部门（管理员须填写）"
    )


class ProgramOut(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    applicant_kind: str
    department: str
    created_at: datetime


class ProgramList(BaseModel):
    items: list[ProgramOut]


class CategoryIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=100)
    quota: int = Field(ge=0, le=10_000, description="本类别入选名额")


class FundingLevelIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=100)
    max_amount_fen: int = Field(gt=0, le=MAX_FEN, strict=True, description="该档次资助上限（分）")


class CallIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "title": "2026年度昆山双创人才",
                    "opens_on": "2026-03-01",
                    "closes_on": "2026-04-30",
                    "categories": [
                        {"code": "A", "title": "科技创新类", "quota": 3},
                        {"code": "B", "title": "科技创业类", "quota": 2},
                    ],
                    "funding_levels": [
                        {"code": "L1", "title": "一档", "max_amount_fen": 200000000},
                        {"code": "L2", "title": "二档", "max_amount_fen": 100000000},
                    ],
                    "notice_days": 5,
                }
            ]
        }
    )

    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    opens_on: date = Field(description="申报开始日（北京时间）")
    closes_on: date = Field(description="申报截止日（北京时间，含当日）")
    categories: list[CategoryIn] = Field(min_length=1, max_length=20)
    funding_levels: list[FundingLevelIn] = Field(min_length=1, max_length=20)
    notice_days: int = Field(5, ge=0, le=60, description="公示天数")
    eligibility_policy: str | None = Field(
        None,
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="申报条件所依据的政策代码（svc-policy 的规则，如 KS-RC-010 双创人才项目资助）；"
        "申报时按申报人档案计算，不符合的不予受理；不填则不校验",
    )

    @model_validator(mode="after")
    def _window(self) -> CallIn:
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on 不能早于 opens_on")
        if len({c.code for c in self.categories}) != len(self.categories):
            raise ValueError("类别代码重复")
        if len({f.code for f in self.funding_levels}) != len(self.funding_levels):
            raise ValueError("档次代码重复")
        return self


class CallBase(BaseModel):
    """What every view of a call shows: the program's, the window, the categories, the status and the 公示 dates."""

    id: uuid.UUID
    program_id: uuid.UUID
    program_code: str
    department: str
    year: int
    title: str
    opens_on: date
    closes_on: date
    status: Literal["open", "closed", "selected", "public_notice"]
    accepting: bool = Field(description="今天（北京时间）是否在申报窗口内")
    categories: list[CategoryIn]
    notice_starts_on: date | None
    notice_ends_on: date | None


class CallOut(CallBase):
    funding_levels: list[FundingLevelIn]
    notice_days: int
    panel: list[str] = Field(description="评审专家（工作人员账号）")
    selected_by: str | None
    eligibility_policy: str | None = Field(None, description="申报条件所依据的政策代码")


class EligibilityCriterion(BaseModel):
    label: str | None = None
    state: str | None = Field(
        None, description="pass 满足 | fail 不满足 | manual 待评审确认 | unknown 资料不全"
    )
    reason: str | None = None


class EligibilityOut(BaseModel):
    """The calculator's answer the application was admitted on."""

    policy_code: str
    version: int | None
    status: str = Field(description="eligible 符合 | needs_confirmation 需评审确认 | needs_data 资料不全")
    evaluated_on: date
    criteria: list[EligibilityCriterion]


class CallSummary(CallBase):
    """A call in a list: its window, quotas and status with the counts staff watch (申报, 入选, 公示异议)."""

    program_title: str
    quota: int = Field(description="各类别入选名额之和")
    accepting_objections: bool = Field(description="今天（北京时间）在公示期内，可以提出异议")
    applications: int = Field(description="申报数")
    selected: int = Field(description="入选数（不含异议成立后撤销的）")
    withdrawn: int = Field(description="公示异议成立后撤销入选的申报数")
    objections: int = Field(description="公示异议总数")
    objections_open: int = Field(description="待处理的公示异议数")


class CallSummaryList(BaseModel):
    items: list[CallSummary]


class PanelIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"experts": [{"subject": "expert-zhang", "name": "张教授"}]}]}
    )

    class Expert(BaseModel):
        subject: str = Field(min_length=1, max_length=100, description="专家的工作人员账号（令牌 subject）")
        name: str | None = Field(None, max_length=60)

    experts: list[Expert] = Field(min_length=1, max_length=50)


class ConflictIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"company_uscc": "91320583MA1KR8Y29Y", "reason": "本人曾任该企业技术顾问"}]
        }
    )

    company_uscc: Uscc | None = Field(None, description="有利益关系的企业")
    applicant_id: str | None = Field(None, max_length=64, description="有利益关系的申报人（人才或团队编号）")
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_party(self) -> ConflictIn:
        if (self.company_uscc is None) == (self.applicant_id is None):
            raise ValueError("company_uscc 与 applicant_id 须且只能填写一项")
        return self


class ConflictOut(BaseModel):
    call_id: uuid.UUID
    expert: str
    party: str
    reason: str
    declared_at: datetime


class ProgramApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicant_id": "6f1c0c52-1d1b-4a8e-9a55-3f2a1f9e7c11",
                    "applicant_name": "李博士",
                    "company_uscc": "91320583MA1KR8Y29Y",
                    "company_name": "昆山某某智能科技有限公司",
                    "category": "A",
                    "funding_level": "L1",
                    "requested_amount_fen": 150000000,
                    "plan": "三年内完成车规级芯片流片，形成年销售 5000 万元。",
                }
            ]
        }
    )

    applicant_id: str = Field(min_length=1, max_length=64, description="人才 talent_id 或团队编号")
    applicant_name: str = Field(min_length=1, max_length=100)
    company_uscc: Uscc | None = Field(
        None, description="所在（或拟创办）企业；未落地先评审：企业尚未注册时可不填，落地后方可拨付"
    )
    company_name: str | None = Field(None, max_length=200)
    category: str = Field(min_length=1, max_length=32)
    funding_level: str = Field(min_length=1, max_length=32)
    requested_amount_fen: int = Field(gt=0, le=MAX_FEN, strict=True, description="申请资助金额（分）")
    plan: str = Field(
        min_length=1, max_length=5000, description="创新创业计划（身份证号、手机号等以脱敏形式保存）"
    )


class ProgramApplicationOut(BaseModel):
    id: uuid.UUID
    call_id: uuid.UUID
    applicant_id: str
    applicant_name: str
    company_uscc: str | None
    company_name: str | None
    landed: bool = Field(description="企业已注册（未落地先评审的申报为 false）")
    category: str
    funding_level: str
    requested_amount_fen: int
    plan: str
    status: Literal["submitted", "selected", "not_selected", "withdrawn"] = Field(
        description="withdrawn：公示异议成立，撤销入选"
    )
    rank: int | None
    created_at: datetime
    eligibility: EligibilityOut | None = Field(
        None, description="受理时按批次申报条件政策计算的结果（批次未设申报条件时为空）"
    )


class ProgramApplicationList(BaseModel):
    items: list[ProgramApplicationOut]


class ScoreIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"score": 86, "comment": "技术领先，市场清晰"}]}
    )

    score: int = Field(ge=0, le=100, strict=True)
    comment: str | None = Field(None, max_length=1000)


class ScoreOut(BaseModel):
    application_id: uuid.UUID
    expert: str
    score: int
    scored_at: datetime


class RankedApplication(BaseModel):
    application_id: uuid.UUID
    applicant_name: str
    company_name: str | None
    category: str
    rank: int = Field(description="类别内名次（1 起）")
    normalised_score: float = Field(description="各专家 z 分数的平均（专家内标准化）")
    mean_raw_score: float
    scores: int = Field(description="已打分专家数")
    expected_scores: int = Field(description="应打分专家数（评审组减去回避者）")
    within_quota: bool


class RankingOut(BaseModel):
    call_id: uuid.UUID
    complete: bool = Field(description="每份申报都已由全部应打分专家打分")
    categories: dict[str, list[RankedApplication]]


class SelectionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "按评审排名在名额内入选"}]})

    comment: str | None = Field(None, max_length=1000)


class NoticeEntry(BaseModel):
    application_id: uuid.UUID = Field(description="对该入选申报提出异议时引用")
    applicant_name: str
    company_name: str | None
    category: str
    category_title: str
    funding_level: str
    rank: int


class NoticeOut(BaseModel):
    call_id: uuid.UUID
    program_title: str
    call_title: str
    status: Literal["selected", "public_notice"]
    notice_starts_on: date | None
    notice_ends_on: date | None = Field(
        description="公示结束之日（公示期为 notice_starts_on 起至该日前一天；该日起可签资助协议）"
    )
    accepting_objections: bool = Field(description="今天（北京时间）在公示期内，可以提出异议")
    entries: list[NoticeEntry]
