from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CodeKind = Literal["enterprise", "park", "lounge"]


class ServiceCodeCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "enterprise",
                    "target": "91320583MA1KR8Y29Y",
                    "name": "昆山某某智能装备有限公司",
                    "industry_chain": "智能制造",
                }
            ]
        }
    )

    kind: CodeKind = Field(description="enterprise 企业、park 园区、lounge 人才会客厅")
    target: str = Field(
        min_length=1, max_length=64, description="企业为统一社会信用代码；园区/会客厅为其编号"
    )
    name: str = Field(min_length=1, max_length=200)
    industry_chain: str | None = Field(
        default=None, max_length=100, description="所属产业链，用于推荐技术经纪人"
    )


class ServiceCodeOut(BaseModel):
    id: uuid.UUID
    kind: str
    target: str
    name: str
    industry_chain: str | None
    token: str
    url: str = Field(description="二维码编码的地址")
    png_url: str
    svg_url: str
    created_by: str
    department: str | None = Field(
        description="生成该码的部门：只有该部门工作人员和管理员可以作废（为空：仅管理员）"
    )
    created_at: datetime
    revoked_at: datetime | None
    scan_count: int


class ServiceCodeList(BaseModel):
    items: list[ServiceCodeOut]


class ActivityCheckInQr(BaseModel):
    """An activity's check-in QR code: the 昆e服 check-in page's address carrying the activity's signed code."""

    activity_id: uuid.UUID
    url: str = Field(description="二维码编码的地址（昆e服签到页，带签名的签到码）")
    png_url: str
    expires_at: datetime = Field(description="签到码过期时间（活动结束时，北京时间）")
