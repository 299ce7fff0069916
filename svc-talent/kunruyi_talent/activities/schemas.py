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


LeadKind = Literal["need", "cooperation", "negotiation"]
DemandType = Literal["技术攻关", "成果转化", "人才引进", "设备共享", "检测服务"]


class LeadCounts(BaseModel):
    """线索 → 转化: the leads recorded at an activity and what became of them."""

    leads: int = Field(default=0, description="线索总数")
    needs: int = Field(default=0, description="需求线索")
    converted: int = Field(default=0, description="已转化的需求线索")
    to_tickets: int = Field(default=0, description="转为服务工单")
    to_demands: int = Field(default=0, description="转为技术需求")
    cooperations: int = Field(default=0, description="合作线索（合作）")
    negotiations: int = Field(default=0, description="商洽线索（商洽）")


class LeadCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "need",
                    "uscc": "91320583MA1KR8Y29Y",
                    "content": "希望对接高校团队攻关晶圆级封装的翘曲控制",
                }
            ]
        }
    )

    kind: LeadKind = Field(description="need 需求；cooperation 合作；negotiation 商洽")
    uscc: str | None = Field(default=None, max_length=18, description="企业（已建档）")
    talent_id: uuid.UUID | None = Field(default=None, description="人才")
    party: str | None = Field(default=None, max_length=120, description="合作、商洽的另一方（单位名称）")
    content: str = Field(min_length=2, max_length=2000, description="线索内容（个人信息会脱敏保存）")


class LeadConversion(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"to": "ticket", "type": "融资需求"},
                {
                    "to": "demand",
                    "industry_chain": "集成电路",
                    "technical_field": "先进封装",
                    "demand_type": "技术攻关",
                },
            ]
        }
    )

    to: Literal["ticket", "demand"]
    type: str | None = Field(default=None, max_length=20, description="转为工单：诉求类型")
    title: str | None = Field(
        default=None, min_length=1, max_length=200, description="标题（默认取线索内容）"
    )
    industry_chain: str | None = Field(default=None, max_length=40, description="转为技术需求：产业链")
    technical_field: str | None = Field(default=None, max_length=40, description="转为技术需求：技术领域")
    demand_type: DemandType | None = Field(default=None, description="转为技术需求：需求类型")


class LeadOut(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID
    kind: str
    enterprise_uscc: str | None
    talent_id: uuid.UUID | None
    party: str | None
    content: str
    status: str = Field(description="open 待转化；converted 已转化")
    converted_to: str | None = Field(description="ticket 服务工单；demand 技术需求")
    ticket_number: str | None
    ticket_status: str | None = Field(
        default=None, description="转为工单：工单当前状态（列表中给出，免逐条查询）"
    )
    ticket_department: str | None = Field(default=None, description="转为工单：承办部门")
    demand_id: str | None = Field(description="技术需求编号（svc-matching 受理后回填）")
    created_by: str
    created_at: datetime
    converted_at: datetime | None


class LeadList(BaseModel):
    activity_id: uuid.UUID
    title: str
    counts: LeadCounts
    items: list[LeadOut]


class ActivityStats(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    registered: int
    checked_in: int
    attendance_rate: float | None = Field(description="签到数 / 报名数；无人报名时为空")
    cooperation_projects: int | None
    negotiations: int | None
    leads: LeadCounts = Field(default_factory=LeadCounts, description="线索与转化")


class KindStats(BaseModel):
    kind: str
    activities: int
    registered: int
    checked_in: int
    attendance_rate: float | None
    cooperation_projects: int
    negotiations: int
    leads: LeadCounts = Field(default_factory=LeadCounts, description="线索与转化")


class KindStatsPage(BaseModel):
    items: list[KindStats]
