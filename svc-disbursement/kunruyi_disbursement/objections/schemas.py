"""Request and response shapes of 公示 objections (异议)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ObjectionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": "0b6c1f0e-8d7a-4c59-9a53-3c2f8f1d2e4b",
                    "reason": "该申报人所报企业并未在昆山实际经营",
                    "objector": "知情群众",
                }
            ]
        }
    )

    application_id: uuid.UUID = Field(description="公示名单中的入选申报（名单条目的 application_id）")
    reason: str = Field(min_length=5, max_length=2000, description="异议理由（个人信息会被遮盖）")
    objector: str | None = Field(None, max_length=100, description="提出人（可匿名；个人信息会被遮盖）")


class ResolutionIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,  # a reply of blanks is no reply (422 naming ``resolution``)
        json_schema_extra={"examples": [{"outcome": "upheld", "resolution": "经核查，企业未在昆山实际经营"}]},
    )

    outcome: Literal["upheld", "dismissed"] = Field(
        description="upheld 异议成立（撤销入选，名额内按排名递补），dismissed 异议不成立（维持入选）"
    )
    resolution: str = Field(min_length=1, max_length=2000, description="核查结论")


class ObjectionOut(BaseModel):
    id: uuid.UUID
    call_id: uuid.UUID
    application_id: uuid.UUID
    applicant_name: str
    objector: str | None
    reason: str
    status: Literal["open", "upheld", "dismissed"]
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    promoted_application_id: uuid.UUID | None = Field(
        description="异议成立后按排名递补入选的申报（名额内无人可递补时为空）"
    )
    created_at: datetime


class ObjectionReceipt(BaseModel):
    """What a member of the public sees after filing: the number to quote, nothing about others."""

    id: uuid.UUID
    status: Literal["open"]
    created_at: datetime


class ObjectionList(BaseModel):
    items: list[ObjectionOut]
