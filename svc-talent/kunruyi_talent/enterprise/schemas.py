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
    revenue_fen: int = Field(ge=0, le=MAX_FEN)
    rd_expense_fen: int = Field(ge=0, le=MAX_FEN)
    tax_paid_fen: int = Field(ge=0, le=MAX_FEN)
    high_tech_revenue_ratio: float = Field(ge=0, le=1)


class FiguresOut(FiguresIn):
    year: int
    rd_ratio: float


class QualificationIn(RequestModel):
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
