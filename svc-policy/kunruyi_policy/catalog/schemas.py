from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

PolicyType = Literal["减免", "奖补", "权益", "资质"]
Beneficiary = Literal["enterprise", "talent", "team"]
Mode = Literal["automatic", "application", "quick"]
BenefitKind = Literal["cash", "tax", "land", "service", "qualification"]
Status = Literal["draft", "published", "suspended", "expired"]
# An application's review stages, in this order (svc-disbursement's workflow; 审定 approved always ends it, then 拨付).
ReviewStage = Literal["accepted", "first_review", "second_review", "public_notice", "approved"]
REVIEW_STAGE_ORDER: tuple[str, ...] = (
    "accepted",
    "first_review",
    "second_review",
    "public_notice",
    "approved",
)
DEFAULT_NOTICE_DAYS = 5


class FaqItem(BaseModel):
    """One question applicants ask, with the department's answer."""

    question: str = Field(min_length=2, max_length=200, examples=["新认定的高企何时能拿到奖励？"])
    answer: str = Field(
        min_length=2, max_length=2000, examples=["认定公示结束后的次月由系统自动兑现，无需申报。"]
    )


class Material(BaseModel):
    """One document an application needs."""

    name: str = Field(min_length=2, max_length=100, examples=["研发费用专项审计报告"])
    required: bool = Field(True, description="false：视情况提供")
    note: str = Field("", max_length=200, examples=["须由具备资质的会计师事务所出具"])


class PolicyGuide(BaseModel):
    """What an applicant reads before applying, and how an application is reviewed."""

    plain_summary: str = Field("", description="通俗解读：一段白话说明谁能享受、能拿多少、怎么拿")
    faq: list[FaqItem] = Field(default_factory=list, description="常见问题")
    materials: list[Material] = Field(default_factory=list, description="申报材料（免申即享为空）")
    application_window: str = Field("", description="受理时间，如“每年 3 月 1 日至 4 月 30 日”或“常年受理”")
    review_stages: list[ReviewStage] = Field(
        description="审核环节（受理、初审、复审、公示、审定），随发布事件送到资金兑付服务"
    )
    notice_days: int = Field(DEFAULT_NOTICE_DAYS, description="公示天数")


class DepartmentOut(BaseModel):
    code: str
    name: str


class ThemeOut(BaseModel):
    code: str
    name: str
    category_code: str


class CategoryOut(BaseModel):
    code: str
    name: str
    themes: list[ThemeOut]


class PolicyOut(BaseModel):
    code: str
    title: str
    legal_source: str
    department_code: str
    department: str
    category_code: str
    category: str
    theme_code: str
    theme: str
    policy_type: PolicyType
    beneficiary: Beneficiary
    mode: Mode
    target_description: str
    conditions_text: str
    payout_days: int
    annual_budget_fen: int
    status: Status
    valid_from: date
    valid_to: date | None
    tags: list[str]
    is_demo: bool
    document_code: str | None = None
    benefit_kind: BenefitKind = "cash"
    exclusion_group: str | None = None
    stacking_group: str | None = None
    once_per_entity: bool = False
    current_version: int | None = None
    score: float | None = None


class VersionOut(BaseModel):
    version: int
    state: str
    effective_from: date | None
    criteria: list[dict[str, Any]]
    amount: Any
    amount_cap_fen: int | None
    parameters: dict[str, Any]
    note: str
    published_at: str | None


class PolicyDetailOut(PolicyOut):
    guide: PolicyGuide
    rules: VersionOut | None
    versions: list[VersionOut]


class PolicyPage(BaseModel):
    items: list[PolicyOut]
    next_cursor: str | None


class DepartmentList(BaseModel):
    items: list[DepartmentOut]


class CategoryList(BaseModel):
    items: list[CategoryOut]


class ThemeList(BaseModel):
    items: list[ThemeOut]
