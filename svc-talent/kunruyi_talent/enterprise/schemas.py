from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from kunruyi_common.fields import CnMobile, Uscc
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

QualificationKind = Literal[
    "tech_sme",
    "high_tech",
    "specialized_sme",
    "little_giant",
    "gazelle",
    "unicorn_candidate",
    "above_scale",
    "listed",
]


class ContactIn(RequestModel):
    name: str = Field(min_length=1, max_length=60)
    role: str | None = Field(default=None, max_length=60)
    phone: CnMobile


class ContactOut(BaseModel):
    name: str
    role: str | None
    phone: str = Field(description="脱敏后的手机号")


MAX_FEN = 10**17  # a trillion yuan: far above any company, far below BIGINT


class FiguresIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revenue_fen": 1250000000000,
                    "rd_expense_fen": 62000000000,
                    "tax_paid_fen": 41000000000,
                    "high_tech_revenue_ratio": 0.68,
                }
            ]
        }
    )

    revenue_fen: int = Field(ge=0, le=MAX_FEN)
    rd_expense_fen: int = Field(ge=0, le=MAX_FEN)
    tax_paid_fen: int = Field(ge=0, le=MAX_FEN)
    high_tech_revenue_ratio: float = Field(ge=0, le=1)


class FiguresOut(FiguresIn):
    year: int
    rd_ratio: float


class QualificationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "high_tech",
                    "level": "national",
                    "certificate_number": "GR202532001234",
                    "granted_on": "2025-03-01",
                    "expires_on": "2028-02-29",
                }
            ]
        }
    )

    kind: QualificationKind
    level: Literal["national", "provincial", "city", "county"] | None = None
    certificate_number: str | None = Field(default=None, max_length=80)
    granted_on: date
    expires_on: date | None = None


class QualificationOut(QualificationIn):
    model_config = ConfigDict(from_attributes=True)
    label: str
    valid: bool


class EnterpriseCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91320583MA1KR8Y29Y",
                    "name": "昆山某某智能装备有限公司",
                    "district": "开发区",
                    "industry_chain": "智能制造",
                    "founded_on": "2016-03-18",
                    "employees": 260,
                    "invention_patents": 12,
                    "platforms": ["省级工程技术研究中心"],
                    "contacts": [{"name": "李敏", "role": "人事经理", "phone": "13812345678"}],
                }
            ]
        }
    )

    uscc: Uscc
    name: str = Field(min_length=1, max_length=200)
    district: str = Field(max_length=40)
    industry_chain: str | None = Field(default=None, max_length=40)
    founded_on: date | None = None
    employees: int = Field(default=0, ge=0, le=2_000_000)
    invention_patents: int = Field(default=0, ge=0, le=1_000_000)
    platforms: list[str] = Field(default_factory=list, max_length=20)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)


class EnterpriseUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"employees": 300, "invention_patents": 15}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    district: str | None = None
    industry_chain: str | None = None
    founded_on: date | None = None
    employees: int | None = Field(default=None, ge=0, le=2_000_000)
    invention_patents: int | None = Field(default=None, ge=0, le=1_000_000)
    platforms: list[str] | None = Field(default=None, max_length=20)
    contacts: list[ContactIn] | None = Field(default=None, max_length=20)


class GrowthOut(BaseModel):
    stage: str
    stage_label: str
    next_stage: str | None
    next_stage_label: str | None
    ready_for_next: bool
    missing: list[dict[str, str]]


class EnterpriseSummary(BaseModel):
    id: uuid.UUID
    uscc: str
    name: str
    district: str
    industry_chain: str | None
    employees: int
    qualifications: list[str]
    growth_stage: str


class EnterpriseRead(BaseModel):
    id: uuid.UUID
    uscc: str
    name: str
    district: str
    industry_chain: str | None
    founded_on: date | None
    employees: int
    invention_patents: int
    platforms: list[str]
    figures: list[FiguresOut]
    qualifications: list[QualificationOut]
    contacts: list[ContactOut] | None
    growth: GrowthOut
    created_at: datetime
    updated_at: datetime


class EnterprisePage(BaseModel):
    items: list[EnterpriseSummary]
    next_cursor: str | None


class IndustryChainTiers(BaseModel):
    """“2+6+X” 产业链：2 条主导、6 条战略性新兴、X 条未来产业。"""

    pillar: list[str]
    strategic: list[str]
    frontier: list[str]


class GrowthStage(BaseModel):
    stage: str
    label: str


class EnterpriseReference(BaseModel):
    """The reference lists an enterprise record is filled from."""

    districts: list[str]
    industry_chains: IndustryChainTiers
    qualifications: dict[str, str] = Field(description="资质编码 → 名称")
    platforms: dict[str, str] = Field(description="平台编码 → 名称")
    growth_ladder: list[GrowthStage] = Field(description="成长阶梯，由低到高")
