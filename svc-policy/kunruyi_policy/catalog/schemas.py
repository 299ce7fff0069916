from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

PolicyType = Literal["减免", "奖补", "权益", "资质"]
Beneficiary = Literal["enterprise", "talent", "team"]
Mode = Literal["automatic", "application", "quick"]
BenefitKind = Literal["cash", "tax", "land", "service", "qualification"]
Status = Literal["draft", "published", "suspended", "expired"]


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
