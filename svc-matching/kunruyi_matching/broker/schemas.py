from __future__ import annotations

import uuid
from typing import Literal

from kunruyi_common.fields import Uscc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kunruyi_matching.taxonomy import normalise_chain, normalise_field
from kunruyi_matching.text.validation import Text

Certification = Literal["初级", "中级", "高级"]


def _chain_codes(values: list[str]) -> list[str]:
    out = []
    for v in values:
        code = normalise_chain(v)
        if code is None:
            raise ValueError(f"未知产业链：{v}")
        out.append(code)
    return sorted(set(out))


def _field_codes(values: list[str]) -> list[str]:
    out = []
    for v in values:
        code = normalise_field(v)
        if code is None:
            raise ValueError(f"未知技术领域：{v}")
        out.append(code)
    return sorted(set(out))


class BrokerCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "broker-wang",
                    "name": "王芳",
                    "agency": "昆山技术转移中心",
                    "certification": "中级",
                    "fields": ["自动控制"],
                    "chains": ["智能制造"],
                    "monthly_capacity": 8,
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    subject: Text = Field(min_length=1, max_length=120)
    name: Text = Field(min_length=1, max_length=60)
    agency: Text = Field(min_length=1, max_length=120)
    certification: Certification
    fields: list[str] = Field(default_factory=list, max_length=20)
    chains: list[str] = Field(default_factory=list, max_length=20)
    monthly_capacity: int = Field(ge=0, le=200)

    @field_validator("chains")
    @classmethod
    def _chains(cls, values: list[str]) -> list[str]:
        return _chain_codes(values)

    @field_validator("fields")
    @classmethod
    def _fields(cls, values: list[str]) -> list[str]:
        return _field_codes(values)


class BrokerUpdate(BaseModel):
    """The registry fields an officer maintains; only the fields sent change (none of them may be null)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"monthly_capacity": 10, "active": True}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    name: Text | None = Field(default=None, min_length=1, max_length=60)
    agency: Text | None = Field(default=None, min_length=1, max_length=120)
    certification: Certification | None = None
    fields: list[str] | None = Field(default=None, max_length=20)
    chains: list[str] | None = Field(default=None, max_length=20)
    monthly_capacity: int | None = Field(default=None, ge=0, le=200)
    active: bool | None = None

    @field_validator("name", "agency", "certification", "fields", "chains", "monthly_capacity", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("不能为 null；不修改的字段请不要传")
        return value

    @field_validator("chains")
    @classmethod
    def _chains(cls, values: list[str]) -> list[str]:
        return _chain_codes(values)

    @field_validator("fields")
    @classmethod
    def _fields(cls, values: list[str]) -> list[str]:
        return _field_codes(values)


class ConflictCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"enterprise_uscc": "91320583MA1KR8Y29Y", "reason": "曾任该企业技术顾问"}]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    enterprise_uscc: Uscc
    reason: Text | None = Field(default=None, max_length=200)


class BrokerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject: str
    name: str
    agency: str
    certification: str
    fields: list[str]
    chains: list[str]
    monthly_capacity: int
    active: bool
    assigned_this_month: int = 0


class ConflictOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_uscc: Uscc
    reason: str | None


class BrokerDetail(BrokerOut):
    conflicts: list[ConflictOut] = Field(default_factory=list)


class BrokerPage(BaseModel):
    items: list[BrokerOut]
    next_cursor: str | None


class AssignmentOut(BaseModel):
    demand_id: uuid.UUID
    broker_id: uuid.UUID
    affinity: float


class AssignmentRunOut(BaseModel):
    run_id: uuid.UUID
    considered: int
    assigned: list[AssignmentOut]
    waiting: list[uuid.UUID]
    total_affinity: float


class KpiRow(BaseModel):
    key: str
    name: str
    agency: str | None
    demands_served: int
    deals: int
    contract_amount_fen: int
    reward_fen: int
    median_days_to_deal: float | None


class KpiReport(BaseModel):
    group_by: str
    period: str | None
    items: list[KpiRow]
