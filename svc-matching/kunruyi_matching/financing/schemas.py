from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from kunruyi_common.clock import local_today
from kunruyi_common.fields import Uscc
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from kunruyi_matching.financing.criteria import KIND_INSTITUTIONS, PRODUCT_KINDS
from kunruyi_matching.taxonomy import normalise_chain
from kunruyi_matching.text.validation import MAX_FEN, Text

Stage = Literal["seed", "startup", "growth", "mature"]
Collateral = Literal["patent", "trademark", "copyright", "equity", "receivable", "equipment", "real_estate"]
ProductKind = Literal[
    "talent_loan",
    "tech_loan",
    "ip_pledge_loan",
    "equity_investment",
    "angel_fund",
    "guarantee",
    "talent_startup_insurance",
    "tech_insurance",
]
InstitutionKind = Literal["bank", "investor", "fund", "guarantor", "insurer"]
PipelineStage = Literal["contact", "due_diligence", "approved", "closed"]


def _chain(value: str | None) -> str | None:
    if value is None:
        return None
    code = normalise_chain(value)
    if code is None:
        raise ValueError(f"未知产业链：{value}（见 GET /api/v1/taxonomy）")
    return code


class FinancingDemandCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enterprise_uscc": "91320583MA1KR8Y29Y",
                    "enterprise_name": "昆山示例光电科技有限公司",
                    "amount_fen": 300_000_000,
                    "stage": "growth",
                    "purpose": "扩产 Micro LED 检测线的流动资金",
                    "collateral_kinds": ["patent"],
                    "preferred_kinds": ["ip_pledge_loan"],
                    "industry_chain": "光电显示",
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    enterprise_uscc: Uscc
    enterprise_name: Text = Field(min_length=1, max_length=200)
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="融资金额（分）")
    stage: Stage = Field(description="企业阶段：seed 种子期、startup 初创期、growth 成长期、mature 成熟期")
    purpose: Text = Field(min_length=1, max_length=2000, description="资金用途（身份证号、手机号脱敏存储）")
    collateral_kinds: list[Collateral] = Field(
        default_factory=list, max_length=7, description="可提供的抵质押物；空 = 信用"
    )
    preferred_kinds: list[ProductKind] = Field(default_factory=list, max_length=8)
    industry_chain: str | None = None

    @field_validator("industry_chain")
    @classmethod
    def _known_chain(cls, value: str | None) -> str | None:
        return _chain(value)


class FinancingDemandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_uscc: str
    enterprise_name: str
    amount_fen: int
    stage: str
    stage_label: str = ""
    purpose: str
    collateral_kinds: list[str]
    collateral_labels: list[str] = Field(default_factory=list, description="抵质押物的中文名；空 = 信用")
    preferred_kinds: list[str]
    preferred_labels: list[str] = Field(default_factory=list)
    industry_chain: str | None
    status: str
    submitted_by: str
    created_at: datetime


class FinancingDemandPage(BaseModel):
    items: list[FinancingDemandOut]
    next_cursor: str | None


class ProductCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "institution": "昆山农商银行",
                    "institution_kind": "bank",
                    "product_kind": "ip_pledge_loan",
                    "name": "知惠贷",
                    "min_amount_fen": 10_000_000,
                    "max_amount_fen": 1_000_000_000,
                    "stages": ["startup", "growth"],
                    "collateral_kinds": ["patent", "trademark"],
                    "rate_note": "LPR + 0～50BP",
                    "max_term_months": 36,
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    institution: Text = Field(min_length=1, max_length=120)
    institution_kind: InstitutionKind
    product_kind: ProductKind
    name: Text = Field(min_length=1, max_length=120)
    min_amount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    max_amount_fen: int = Field(gt=0, le=MAX_FEN)
    stages: list[Stage] = Field(default_factory=list, max_length=4, description="服务的企业阶段；空 = 不限")
    collateral_kinds: list[Collateral] = Field(
        default_factory=list, max_length=7, description="接受的抵质押物；空 = 信用（无需抵质押）"
    )
    industry_chains: list[str] = Field(
        default_factory=list, max_length=20, description="面向的产业链；空 = 不限"
    )
    rate_note: Text | None = Field(default=None, max_length=120)
    max_term_months: int | None = Field(default=None, gt=0, le=360)
    partner_app_key: str | None = Field(
        default=None,
        max_length=64,
        description="经签名接口登记本产品流程的合作方 app key（合作方自己登记时即为其本身）",
    )

    @field_validator("industry_chains")
    @classmethod
    def _chains(cls, value: list[str]) -> list[str]:
        return [c for v in value if (c := _chain(v)) is not None]

    @field_validator("max_amount_fen")
    @classmethod
    def _range(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_amount_fen")
        if low is not None and low > value:
            raise ValueError("额度上限不能低于下限")
        return value

    @model_validator(mode="after")
    def _kind(self) -> ProductCreate:
        if self.institution_kind not in KIND_INSTITUTIONS[self.product_kind]:
            raise ValueError(f"{PRODUCT_KINDS[self.product_kind]}不能由该类机构提供")
        return self


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution: str
    institution_kind: str
    institution_kind_label: str = ""
    partner_app_key: str | None
    product_kind: str
    product_kind_label: str = ""
    name: str
    min_amount_fen: int
    max_amount_fen: int
    stages: list[str]
    collateral_kinds: list[str]
    industry_chains: list[str]
    rate_note: str | None
    max_term_months: int | None
    active: bool


class ProductPage(BaseModel):
    items: list[ProductOut]


class Term(BaseModel):
    code: str
    label: str


class Vocabularies(BaseModel):
    """The codes a financing form offers, with their Chinese names (pages show these, never a copy of their own)."""

    stages: list[Term]
    collateral_kinds: list[Term]
    product_kinds: list[Term]
    institution_kinds: list[Term]


class MatchOut(BaseModel):
    product: ProductOut
    matched: bool
    score: float
    reasons: list[str]
    unmet: list[str]


class MatchPage(BaseModel):
    demand_id: uuid.UUID
    items: list[MatchOut]
    excluded: int = Field(description="未满足硬性条件的产品数（all=true 时一并列出并给出 unmet 原因）")


class PipelineCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"product_id": "7d1c2b9e-4a4f-4e0b-9a51-2f0c1e6b8a10", "note": "客户经理已上门对接"}]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    product_id: uuid.UUID
    note: Text | None = Field(default=None, max_length=2000)


class StageCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stage": "closed",
                    "loan_number": "KSRCB-ZHD-2026-0001",
                    "amount_fen": 200_000_000,
                    "annual_rate_percent": "3.45",
                    "term_months": 12,
                    "note": "知识产权质押登记完成后放款",
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    stage: PipelineStage
    note: Text | None = Field(default=None, max_length=2000)
    loan_number: Text | None = Field(
        default=None, min_length=1, max_length=64, description="贷款合同/交割编号"
    )
    amount_fen: int | None = Field(default=None, gt=0, le=MAX_FEN)
    annual_rate_percent: Decimal | None = Field(default=None, gt=0, le=36, max_digits=6, decimal_places=3)
    term_months: int | None = Field(default=None, gt=0, le=360)
    guarantee_fee_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    premium_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    closed_on: date | None = Field(default=None, description="放款/交割日期（默认今天，上海时区）")

    @field_validator("closed_on")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > local_today():
            raise ValueError("放款/交割日期不能晚于今天")
        return value


class StageRecordOut(BaseModel):
    stage: str
    label: str
    previous_stage: str | None
    actor: str
    note: str | None
    at: datetime


class PipelineOut(BaseModel):
    id: uuid.UUID
    demand_id: uuid.UUID
    product_id: uuid.UUID
    institution: str
    product_kind: str
    stage: str
    stage_label: str
    allowed_next: list[str]
    loan_number: str | None
    amount_fen: int | None
    annual_rate_percent: Decimal | None
    term_months: int | None
    first_year_interest_fen: int | None
    guarantee_fee_fen: int | None
    premium_fen: int | None
    closed_on: date | None
    history: list[StageRecordOut]


class PipelinePage(BaseModel):
    items: list[PipelineOut]
