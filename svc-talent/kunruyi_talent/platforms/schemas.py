from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["国家", "省", "苏州", "昆山"]
# The taxonomy's platform kinds (kunruyi_common/taxonomy), as the list filter's fixed values (a test keeps them equal).
KindCode = Literal[
    "postdoc_station",
    "postdoc_innovation_base",
    "engineering_center",
    "enterprise_tech_center",
    "key_lab",
    "academician_station",
    "new_rd_institution",
    "incubator",
    "maker_space",
]
ReviewResult = Literal["优秀", "合格", "不合格"]
Status = Literal["held", "not_yet", "expired", "revoked"]

STATUS_NAMES: dict[str, str] = {
    "held": "有效",
    "not_yet": "未生效",
    "expired": "已到期",
    "revoked": "考核不合格",
}


class PlatformCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91320583MA1XXXXXX0",
                    "kind": "engineering_center",
                    "level": "省",
                    "recognized_on": "2026-06-18",
                    "expires_on": "2029-06-17",
                    "issuing_body": "江苏省科学技术厅",
                    "certificate_number": "BM2026001",
                }
            ]
        }
    )

    uscc: str = Field(min_length=18, max_length=18, description="依托单位（企业）统一社会信用代码")
    kind: str = Field(min_length=1, max_length=40, description="平台类型：编码或名称（如 工程技术研究中心）")
    level: str = Field(min_length=1, max_length=10, description="级别：国家、省、苏州、昆山（可带“级”）")
    name: str | None = Field(
        default=None, max_length=120, description="平台名称；省略时按企业、级别与类型生成"
    )
    recognized_on: date
    expires_on: date | None = None
    issuing_body: str = Field(min_length=2, max_length=80, description="认定单位")
    certificate_number: str = Field(min_length=2, max_length=80, description="证书编号（全局唯一）")


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"year": 2026, "result": "合格", "note": "年度考核材料齐全"}]}
    )

    year: int = Field(ge=1990, le=2100, description="考核年度")
    result: ReviewResult
    note: str = Field(default="", max_length=500, description="说明（个人信息会被遮盖）")


class ReviewOut(BaseModel):
    year: int
    result: ReviewResult
    note: str


class PlatformOut(BaseModel):
    id: uuid.UUID
    uscc: str
    enterprise_name: str
    kind: str
    kind_name: str
    level: Level
    name: str
    department: str
    recognized_on: date
    expires_on: date | None
    issuing_body: str
    certificate_number: str
    status: Status
    status_name: str
    revoked_on: date | None
    last_review: ReviewOut | None
    reviews: list[ReviewOut]


class PlatformPage(BaseModel):
    items: list[PlatformOut]


class YearlyCount(BaseModel):
    year: int
    kind: str
    kind_name: str
    level: Level
    count: int


class YearlyCounts(BaseModel):
    """新认定科创平台数：按认定年度、类型与级别（含此后到期或考核不合格的）。"""

    items: list[YearlyCount]
