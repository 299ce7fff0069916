from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from kunruyi_common.clock import local_today
from kunruyi_common.fields import CnMobile, Uscc
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kunruyi_matching.taxonomy import normalise_chain, normalise_field
from kunruyi_matching.text.validation import MAX_FEN, Text

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
DemandType = Literal["技术攻关", "成果转化", "人才引进", "设备共享", "检测服务"]
Channel = Literal["api", "qr", "yiqilaiban", "activity"]
Visibility = Literal["public", "brokers", "private"]
WaitCode = Literal["no_broker_covers", "only_conflicted", "released_by_all", "capacity_full", "awaiting_run"]


class DemandCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enterprise_uscc": "91320583MA1KR8Y29Y",
                    "title": "高精度伺服电机控制算法",
                    "description": "需将定位精度提升到 ±1 μm，适配现有产线控制器。",
                    "industry_chain": "智能制造",
                    "technical_field": "自动控制",
                    "demand_type": "技术攻关",
                    "budget_min_fen": 50000000,
                    "budget_max_fen": 200000000,
                    "deadline": "2026-06-30",
                    "visibility": "brokers",
                    "channel": "api",
                    "region": "昆山",
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    enterprise_uscc: Uscc
    title: Text = Field(min_length=1, max_length=TITLE_MAX)
    description: Text = Field(min_length=1, max_length=DESCRIPTION_MAX)
    industry_chain: str
    technical_field: str
    demand_type: DemandType
    budget_min_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    budget_max_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    deadline: date | None = None
    visibility: Visibility = "public"
    channel: Channel = "api"
    region: Text = Field(default="昆山", min_length=1, max_length=32)
    contact_name: Text | None = Field(
        default=None, min_length=1, max_length=60, description="联系人（昆e服提交必填；回应中脱敏）"
    )
    contact_phone: CnMobile | None = Field(
        default=None, description="联系电话（昆e服提交必填；加密存储，回应中脱敏）"
    )

    @field_validator("industry_chain")
    @classmethod
    def _chain(cls, value: str) -> str:
        code = normalise_chain(value)
        if code is None:
            raise ValueError(f"未知产业链：{value}（见 GET /api/v1/taxonomy）")
        return code

    @field_validator("technical_field")
    @classmethod
    def _field(cls, value: str) -> str:
        code = normalise_field(value)
        if code is None:
            raise ValueError(f"未知技术领域：{value}（见 GET /api/v1/taxonomy）")
        return code

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: date | None) -> date | None:
        if value is not None and value < local_today():
            raise ValueError("截止日期不能早于今天")
        return value

    @field_validator("budget_max_fen")
    @classmethod
    def _budget(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("budget_min_fen")
        if value is not None and low is not None and low > value:
            raise ValueError("预算上限不能低于下限")
        return value


class DemandReview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "approve", "note": "需求明确，可公开撮合"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    decision: Literal["approve", "reject"]
    note: Text | None = Field(default=None, max_length=1000)


class DemandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    demand_number: str | None = Field(description="需求编号（凭编号和查询码查询进度）")
    enterprise_uscc: Uscc
    contact_name: str | None = Field(validation_alias="contact_name_masked", description="联系人（脱敏）")
    contact_phone: str | None = Field(validation_alias="contact_phone_masked", description="联系电话（脱敏）")
    submitter_verified: bool = Field(
        description="提交时是否核验了企业身份（苏商通登录、合作方或工作人员）；扫码访客代企业提交为 false，供审核参考"
    )
    title: str
    description: str
    industry_chain: str
    technical_field: str
    demand_type: str
    budget_min_fen: int | None
    budget_max_fen: int | None
    deadline: date | None
    visibility: str
    channel: str
    region: str
    status: str
    stage: str | None
    submitted_by: str
    reviewed_by: str | None
    approved_at: datetime | None
    broker_id: uuid.UUID | None
    assigned_at: datetime | None
    assignment_mode: str | None
    matched_supply_id: uuid.UUID | None
    contract_number: str | None
    contract_amount_fen: int | None
    broker_reward_fen: int | None
    closed_at: datetime | None
    created_at: datetime


class DemandCreated(DemandOut):
    access_secret: str | None = Field(
        default=None, description="查询码：只在提交时给出一次，凭需求编号和查询码查询进度"
    )


class DemandStatus(BaseModel):
    """What the filer sees by number + query code: where the demand stands, nothing of anyone else."""

    demand_number: str
    title: str
    demand_type: str
    technical_field: str
    visibility: str
    visibility_label: str
    status: str
    status_label: str
    stage: str | None
    submitter_verified: bool
    contact_name: str | None
    contact_phone: str | None
    broker_name: str | None = Field(description="承接的技术经纪人")
    broker_agency: str | None = Field(description="经纪人所在机构")
    created_at: datetime
    approved_at: datetime | None
    assigned_at: datetime | None


class DemandPage(BaseModel):
    items: list[DemandOut]
    next_cursor: str | None


class QueueItem(BaseModel):
    """A demand waiting for a broker, and why (the assignment's own rules)."""

    demand: DemandOut
    waiting_since: datetime | None
    reason: WaitCode
    detail: str
    covering_brokers: int
    eligible_brokers: int
    eligible_with_room: int


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
