from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from kunruyi_common.validators import is_valid_uscc
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kunruyi_matching.taxonomy import normalise_chain, normalise_field
from kunruyi_matching.text.validation import Text

SupplyKind = Literal["expert", "institute", "result", "park", "company"]


class SupplyIn(BaseModel):
    """One supply record as imported (CSV / JSONL row) or posted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "result",
                    "natural_key": "CN202310123456.7",
                    "name": "一种伺服电机的高精度位置控制方法",
                    "summary": "基于扰动观测器的位置环控制，定位精度 ±0.5 μm。",
                    "organization": "苏州某某大学",
                    "industry_chain": "智能制造",
                    "technical_field": "自动控制",
                    "maturity": 6,
                    "region": "苏州",
                }
            ]
        },
        extra="ignore",
        str_strip_whitespace=True,
    )

    kind: SupplyKind
    natural_key: Text = Field(min_length=1, max_length=120)
    name: Text = Field(min_length=1, max_length=200)
    summary: Text = Field(default="", max_length=20000)
    organization: Text | None = Field(default=None, max_length=200)
    industry_chain: str | None = None
    technical_field: str | None = None
    ipc_class: Text | None = Field(default=None, max_length=32)
    maturity: int | None = Field(default=None, ge=1, le=9)
    region: Text | None = Field(default=None, max_length=32)
    deals_count: int = Field(default=0, ge=0, le=1_000_000)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "\\u0000" in json.dumps(value):
            raise ValueError("属性不能包含空字符（\\u0000）")
        return value

    @model_validator(mode="after")
    def _company_key(self) -> SupplyIn:
        # A company is keyed by its unified social credit code, as in svc-talent's registry (一企一档).
        if self.kind == "company" and not is_valid_uscc(self.natural_key):
            raise ValueError("企业供给的 natural_key 必须是有效的统一社会信用代码")
        return self

    @field_validator("industry_chain")
    @classmethod
    def _chain(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = normalise_chain(value)
        if code is None:
            raise ValueError(f"未知产业链：{value}")
        return code

    @field_validator("technical_field")
    @classmethod
    def _field(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = normalise_field(value)
        if code is None:
            raise ValueError(f"未知技术领域：{value}")
        return code


class SupplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    natural_key: str
    name: str
    summary: str
    organization: str | None
    industry_chain: str | None
    technical_field: str | None
    ipc_class: str | None
    maturity: int | None
    region: str | None
    deals_count: int
    source: str
    updated_at: datetime


class CandidateOut(BaseModel):
    supply: SupplyOut
    score: float
    rank: int
    signals: dict[str, float]
    matched_terms: list[str]
    reasons: list[str]


class CandidateList(BaseModel):
    demand_id: uuid.UUID | None = None
    kind: str
    query_terms: list[str]
    items: list[CandidateOut]


class ExpertProfile(BaseModel):
    """What an expert's record says beyond the common columns (svc-talent's person events, imports)."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    education: str | None = None
    talent_programs: list[str] = Field(default_factory=list)
    employer_uscc: str | None = None
    keywords: list[str] = Field(default_factory=list)


class NamedCode(BaseModel):
    code: str
    name: str


class CompanyProfile(BaseModel):
    """A company's supply side, from svc-talent's enterprise registry events: what it can do (R&D platforms,
    invention patents), what it holds (qualifications), where and how big — never its people or its finances."""

    model_config = ConfigDict(extra="ignore")

    uscc: str
    district: NamedCode | None = None
    qualifications: list[NamedCode] = Field(default_factory=list)
    platforms: list[NamedCode] = Field(default_factory=list)
    invention_patents: int = 0
    growth_stage: str | None = None
    founded_years: int | None = None
    employees: int | None = None


class SupplyDetail(SupplyOut):
    """One supplier with all its attributes: the common columns, every stored attribute as it was sent, and the
    typed part of its kind (``expert`` or ``company``; institutes, results and parks carry theirs in the common
    columns — ``ipc_class``, ``maturity`` — and in ``attributes``)."""

    attributes: dict[str, Any]
    created_at: datetime
    version: int
    expert: ExpertProfile | None = None
    company: CompanyProfile | None = None


class SupplyHit(BaseModel):
    supply: SupplyOut
    # Only with ``q``: the engine's score, its matched terms and reasons for this supplier.
    score: float | None = None
    matched_terms: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


class FacetCount(BaseModel):
    value: str
    name: str
    count: int


class SupplyFacets(BaseModel):
    """Counts per value for the current query. Each facet applies every other facet's filter but not its own, so
    the values next to the chosen one say how many a switch would find; the chosen value's count is the total."""

    kind: list[FacetCount]
    industry_chain: list[FacetCount]
    technical_field: list[FacetCount]
    region: list[FacetCount]


class SupplyPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "supply": {
                                "id": "6f1c3c1e-8a43-4c8e-9b0e-2f1d6a2b7c11",
                                "kind": "company",
                                "natural_key": "91320583MA1XXXXXX0",
                                "name": "昆山某某精密机械有限公司",
                                "summary": "高新技术企业；工程技术研究中心；发明专利 12 件",
                                "organization": None,
                                "industry_chain": "smart_manufacturing",
                                "technical_field": None,
                                "ipc_class": None,
                                "maturity": None,
                                "region": "昆山",
                                "deals_count": 0,
                                "source": "talent",
                                "updated_at": "2026-12-05T05:00:00Z",
                            },
                            "score": None,
                            "matched_terms": [],
                            "reasons": [],
                        }
                    ],
                    "next_cursor": "WyIyMDI2LTEyLTA1VDA1OjAwOjAwKzAwOjAwIiwgIjZmMWMzYzFlIl0",
                    "total": 1,
                    "query_terms": [],
                    "facets": {
                        "kind": [{"value": "company", "name": "企业", "count": 1}],
                        "industry_chain": [{"value": "smart_manufacturing", "name": "智能制造", "count": 1}],
                        "technical_field": [],
                        "region": [{"value": "昆山", "name": "昆山", "count": 1}],
                    },
                }
            ]
        }
    )

    items: list[SupplyHit]
    next_cursor: str | None
    total: int
    query_terms: list[str]
    facets: SupplyFacets
