from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

Channel = Literal["window", "phone", "api", "qr", "yiqilaiban"]
Status = Literal["submitted", "accepted", "in_progress", "replied", "resolved", "closed"]


class TicketCreate(RequestModel):
    """Resident IDs, mobile numbers and bank card numbers written into the title or description are stored and
    shown masked; the handling officer sees them with an audited reveal (``POST …/reveal``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "子女入学",
                    "title": "子女入学咨询",
                    "description": "高层次人才子女转学到昆山，需要了解入学材料与时间。",
                    "channel": "phone",
                    "requester_name": "王先生",
                    "requester_phone": "13812345678",
                }
            ]
        }
    )

    type: str = Field(
        description="落户、子女入学、医疗保健、驾照申领、出入境、配偶就业、人才公寓、项目审批、政策咨询、融资需求、其他诉求"
    )
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    channel: Channel = "window"
    requester_name: str | None = Field(default=None, max_length=60)
    requester_phone: str | None = Field(default=None, max_length=20)
    talent_id: uuid.UUID | None = None
    enterprise_uscc: str | None = None
    service_code: str | None = Field(default=None, max_length=60)


class TicketCreated(BaseModel):
    ticket_number: str
    access_secret: str
    status: str
    deadline: date


class TransitionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to": "replied",
                    "comment": "已联系教育局",
                    "reply": "入学材料清单已通过短信发送，请于 8 月 15 日前提交。",
                }
            ]
        }
    )

    to: Status
    comment: str | None = Field(default=None, max_length=2000)
    reply: str | None = Field(default=None, max_length=4000)


class RequesterReopen(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "材料提交后仍未收到学校通知。"}]})

    comment: str = Field(min_length=1, max_length=2000, description="重新打开的原因（承办部门可见）")


Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class RatingIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"rating": "satisfied", "comment": "办理很及时"}]}
    )

    rating: Rating = Field(description="satisfied 满意、basically_satisfied 基本满意、dissatisfied 不满意")
    comment: str | None = Field(default=None, max_length=2000, description="评价说明（可选）")


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    at: datetime
    comment: str | None
    actor: str | None = None


class TicketPublic(BaseModel):
    ticket_number: str
    type: str
    title: str
    status: str
    status_label: str
    reply: str | None
    officer: str
    department: str
    deadline: date
    satisfaction: int | None
    history: list[TransitionOut]
    rating: Rating | None = Field(default=None, description="诉求人对最近一次答复的评价")
    rating_label: str | None = Field(default=None, description="满意、基本满意、不满意")
    rated_at: datetime | None = None
    can_rate: bool = Field(default=False, description="最近一次答复尚未评价（每次答复评价一次）")
    can_reopen: bool = Field(default=False, description="评价为不满意、尚未重新打开且在答复后 7 日内")
    reopen_until: datetime | None = Field(default=None, description="可重新打开的截止时间（答复后 7 日）")


class TransferIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"department": "教育局", "reason": "诉求实为子女转学，属教育局职责"}]}
    )

    department: str = Field(min_length=1, max_length=40, description="转入部门（见 GET /service-desk/types）")
    reason: str = Field(min_length=2, max_length=1000, description="转办原因（记入办理记录）")


class InviteIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"department": "住建局", "task": "请答复人才公寓配租的房源与时间"}]}
    )

    department: str = Field(min_length=1, max_length=40, description="协办部门")
    task: str = Field(min_length=2, max_length=2000, description="协办部门负责的部分")


class PartAnswerIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answer": "周市人才公寓 3 月有空房，可于下月初签约。"}]}
    )

    answer: str = Field(min_length=1, max_length=4000, description="本部门负责部分的答复")


class PartOut(BaseModel):
    department: str = Field(description="协办部门")
    officer: str = Field(description="协办专人")
    task: str = Field(description="负责的部分（脱敏）")
    answer: str | None = Field(description="该部分的答复（脱敏）；未答复为空")
    invited_by: str
    invited_at: datetime
    answered_by: str | None
    answered_at: datetime | None


class TicketStaff(TicketPublic):
    id: uuid.UUID
    description: str
    channel: str
    requester_kind: str
    requester_name: str | None
    requester_phone: str | None = Field(description="脱敏后的手机号（承办人员可经审计的 reveal 查看原号）")
    talent_id: uuid.UUID | None
    enterprise_uscc: str | None
    service_code: str | None
    submitted_at: datetime
    replied_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    reopened: bool = Field(
        default=False,
        description="诉求人对答复不满意后重新打开、承办部门尚未再次答复（工作人员队列置顶并标“重新打开”）",
    )
    reopened_at: datetime | None = Field(default=None, description="最近一次重新打开的时间")
    joint: bool = Field(default=False, description="多部门共同处理：牵头部门为 department，协办部门见 parts")
    parts: list[PartOut] = Field(default_factory=list, description="协办部门及其部分（单独查询工单时给出）")


class TicketPage(BaseModel):
    items: list[TicketStaff]
    next_cursor: str | None


class StatsRow(BaseModel):
    key: str
    total: int
    replied: int
    solved: int
    on_time: int
    rated: int
    reply_rate: float | None
    solve_rate: float | None
    on_time_rate: float | None
    satisfaction: float | None
    satisfied: int = Field(description="评价为满意或基本满意的工单数")
    dissatisfied: int = Field(description="评价为不满意的工单数")
    reopened: int = Field(description="诉求人重新打开过的工单数")
    satisfied_rate: float | None = Field(description="满意率 =（满意 + 基本满意）/ 已评价")


class StatsOut(BaseModel):
    group_by: str
    date_from: date | None
    date_to: date | None
    totals: StatsRow
    items: list[StatsRow]


class RevealIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"field": "requester_phone", "reason": "回电核实诉求人身份"}]}
    )

    field: Literal["text", "requester_phone"] = Field(
        description="text：标题、描述、答复与办理记录中被脱敏的内容；requester_phone：诉求人手机号"
    )
    reason: str = Field(min_length=2, max_length=500, description="查看原文的事由（记入审计）")


class RevealedTransition(BaseModel):
    from_status: str | None
    to_status: str
    at: datetime
    actor: str
    comment: str | None


class RevealedPart(BaseModel):
    department: str
    task: str
    answer: str | None


class RevealOut(BaseModel):
    ticket_number: str
    field: str
    audit_id: int
    revealed_at: datetime
    requester_phone: str | None = None
    title: str | None = None
    description: str | None = None
    reply: str | None = None
    history: list[RevealedTransition] | None = None
    parts: list[RevealedPart] | None = Field(default=None, description="协办部门的任务与答复原文")


class RevealRecord(BaseModel):
    id: int
    ticket_number: str
    department: str
    field: str
    actor: str
    actor_name: str | None
    reason: str
    at: datetime


class RevealPage(BaseModel):
    items: list[RevealRecord]
    next_cursor: str | None


class TicketTypeOut(BaseModel):
    type: str = Field(description="诉求类型")
    department: str = Field(description="承办部门")
    working_days: int = Field(description="办理时限（工作日）")


class TicketTypesOut(BaseModel):
    types: list[TicketTypeOut]
    channels: list[str] = Field(description="受理渠道")
    transitions: dict[str, list[str]] = Field(description="每个状态可转到的状态")


class OverdueScanOut(BaseModel):
    as_of: date = Field(description="按此日期判断超期")
    flagged: list[str] = Field(description="本次标记为超期的工单号")
