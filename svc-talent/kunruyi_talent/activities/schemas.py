from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

ActivityKind = Literal[
    "路演", "沙龙", "宣讲", "对话人才", "科创咖啡厅", "聚链融创", "创业周", "培训", "对接会"
]
KINDS: tuple[str, ...] = (
    "路演",
    "沙龙",
    "宣讲",
    "对话人才",
    "科创咖啡厅",
    "聚链融创",
    "创业周",
    "培训",
    "对接会",
)


class ActivityCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "聚链融创",
                    "title": "集成电路产业链聚链融创对接会",
                    "department": "人才办",
                    "venue": "昆山科创中心 3 楼报告厅",
                    "starts_at": "2026-06-18T14:00:00+08:00",
                    "ends_at": "2026-06-18T17:00:00+08:00",
                    "capacity": 120,
                    "industry_chain": "集成电路",
                }
            ]
        }
    )

    kind: ActivityKind = Field(description="活动类型")
    title: str = Field(min_length=2, max_length=120)
    department: str = Field(min_length=2, max_length=40, description="主办部门")
    venue: str = Field(min_length=2, max_length=120, description="地点")
    starts_at: datetime = Field(description="开始时间（不带时区时按北京时间）")
    ends_at: datetime = Field(description="结束时间（不带时区时按北京时间）")
    capacity: int = Field(ge=1, le=100_000, description="容量（报名上限）")
    industry_chain: str | None = Field(default=None, max_length=40, description="产业链（统一分类）")


class ActivityOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    department: str
    venue: str
    starts_at: datetime = Field(description="北京时间")
    ends_at: datetime = Field(description="北京时间")
    capacity: int
    industry_chain: str | None
    industry_chain_name: str | None
    registered: int
    cooperation_projects: int | None
    negotiations: int | None


class ActivityPage(BaseModel):
    items: list[ActivityOut]


class RegistrationCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"uscc": "91320583MA1XXXXXXX"}]})

    uscc: str | None = Field(default=None, max_length=18, description="报名企业的统一社会信用代码")
    talent_id: uuid.UUID | None = Field(default=None, description="报名人才的编号")


class SignUpCreate(RequestModel):
    """Registration from 昆e服 or by a partner. A signed-in company or talent registers itself (nothing to fill);
    anyone else gives a name and a mainland mobile number."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "王小明", "phone": "13812341234"}]})

    name: str | None = Field(default=None, max_length=60, description="姓名（未登录时必填）")
    phone: str | None = Field(
        default=None, max_length=20, description="手机号（未登录时必填；加密保存，只显示掩码）"
    )


class RegistrationOut(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID
    attendee_type: Literal["enterprise", "talent", "person"]
    attendee: str = Field(description="企业为信用代码，人才为人才编号，个人为手机号掩码")
    name: str | None = Field(default=None, description="报名者名称（企业名称、人才或个人姓名）")
    phone_masked: str | None = Field(default=None, description="手机号掩码，如 138****1234")
    registered_via: str = Field(description="officer 工作人员代报、partner 合作方、self 本人（昆e服）")
    registered_at: datetime
    checked_in_at: datetime | None
    checked_in_via: str | None = Field(default=None, description="officer 门口扫码、self 本人手机签到")


class SelfCheckInCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "1781773200.3f9a0c6e1d2b4a5f8e7c9b0a1d2e3f4a",
                    "name": "王小明",
                    "phone": "13812341234",
                }
            ]
        }
    )

    code: str = Field(min_length=1, max_length=200, description="活动二维码中的签到码")
    name: str | None = Field(default=None, max_length=60, description="报名时的姓名（未登录时必填）")
    phone: str | None = Field(default=None, max_length=20, description="报名时的手机号（未登录时必填）")


class SelfCheckInOut(RegistrationOut):
    activity_title: str
    already_checked_in: bool = Field(description="之前已签到：checked_in_at 为第一次签到的时间")


class RegistrationList(BaseModel):
    """An activity's registrations for its organisers (the host department), with the outcome counts."""

    activity_id: uuid.UUID
    title: str
    department: str
    capacity: int
    registered: int
    checked_in: int
    attendance_rate: float | None
    cooperation_projects: int | None
    negotiations: int | None
    items: list[RegistrationOut]


class CheckInCode(BaseModel):
    activity_id: uuid.UUID
    code: str = Field(description="签到码（做成二维码，手机扫码签到）")
    expires_at: datetime = Field(description="过期时间（北京时间）")


class CheckInCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "1781773200.3f9a0c6e1d2b4a5f8e7c9b0a1d2e3f4a",
                    "registration": "6a1f0c55-2b8e-4d3e-9a61-3f1c2d4e5b6a",
                }
            ]
        }
    )

    code: str = Field(min_length=1, max_length=200, description="扫码得到的签到码")
    registration: uuid.UUID = Field(description="报名编号")


class OutcomesIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"cooperation_projects": 12, "negotiations": 23}]}
    )

    cooperation_projects: int = Field(ge=0, le=100_000, description="合作项目数")
    negotiations: int = Field(ge=0, le=100_000, description="商洽数")


class ActivityStats(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    registered: int
    checked_in: int
    attendance_rate: float | None = Field(description="签到数 / 报名数；无人报名时为空")
    cooperation_projects: int | None
    negotiations: int | None


class KindStats(BaseModel):
    kind: str
    activities: int
    registered: int
    checked_in: int
    attendance_rate: float | None
    cooperation_projects: int
    negotiations: int


class KindStatsPage(BaseModel):
    items: list[KindStats]
