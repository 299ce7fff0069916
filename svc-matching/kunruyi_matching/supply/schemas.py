from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kunruyi_matching.taxonomy import normalise_chain, normalise_field
from kunruyi_matching.text.validation import Text

SupplyKind = Literal["expert", "institute", "result", "park"]


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
