from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel
from kunruyi_talent.messages.templates import KINDS

MessageKind = Literal[
    "payment_settled",
    "payment_failed",
    "application_status",
    "application_supplement",
    "ticket_replied",
    "ticket_reopened",
    "housing_offer",
    "housing_offer_reminder",
    "housing_offer_lapsed",
    "activity_reminder",
    "challenge_awarded",
    "demand_assigned",
    "policy_in_reach",
]
assert set(MessageKind.__args__) == set(KINDS), "MessageKind and the templates disagree"  # type: ignore[attr-defined]


class MessageOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None
    unread: int = Field(description="本人未读消息数")


class ReadAllOut(BaseModel):
    marked: int


DeliveryStatus = Literal["queued", "sent", "delivered", "undelivered", "failed"]


class QuietHours(BaseModel):
    start: int = Field(ge=0, le=23, description="免打扰开始（北京时间，点）")
    end: int = Field(ge=0, le=23, description="免打扰结束（北京时间，点）")


class KindOut(BaseModel):
    kind: str
    label: str
    sms: bool


class PreferencesOut(BaseModel):
    sms_kinds: list[str]
    quiet_hours: QuietHours | None
    kinds: list[KindOut]


class PreferencesIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sms_kinds": ["payment_settled", "application_supplement", "housing_offer"],
                    "quiet_hours": {"start": 22, "end": 8},
                }
            ]
        }
    )

    sms_kinds: list[MessageKind] = Field(description="同时以短信通知的消息类型；空列表表示不接收短信")
    quiet_hours: QuietHours | None = Field(default=None, description="免打扰时段；null 表示全天可发")


class DeliveryOut(BaseModel):
    id: uuid.UUID
    message_id: uuid.UUID
    kind: str
    kind_label: str = Field(description="消息类别的中文名，如 资金到账")
    template: str
    phone: str = Field(description="脱敏手机号")
    status: str
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class KindStats(BaseModel):
    kind: str
    kind_label: str = Field(description="消息类别的中文名")
    total: int
    queued: int
    sent: int = Field(description="网关已受理，回执未到")
    delivered: int
    undelivered: int
    failed: int


class DeliveryStats(BaseModel):
    total: int
    queued: int
    sent: int
    delivered: int
    undelivered: int
    failed: int
    delivery_rate: float | None = Field(
        description="(已受理 + 已送达) / (已受理 + 已送达 + 未送达 + 失败)；尚无结果时为 null"
    )
    by_kind: list[KindStats]
