from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class PortalApplication(BaseModel):
    """An application (申报) as the 一企来办 portal forwards it."""

    application_number: str = Field(min_length=1, max_length=64, description="一企来办的申报编号")
    policy_code: str = Field(min_length=1, max_length=64)
    applicant_type: Literal["enterprise", "talent"] = "enterprise"
    applicant_id: str = Field(min_length=1, max_length=64, description="企业统一社会信用代码或人才编号")
    period: str = Field(min_length=4, max_length=16)
    amount_fen: int = Field(gt=0, description="申请金额（分）")


class ForwardedApplication(BaseModel):
    application_number: str
    platform: dict  # type: ignore[type-arg]


class ReceivedApplication(BaseModel):
    """The answer to 一企来办 for a forwarded application: its number, and the platform's application record."""

    application_number: str = Field(description="一企来办的申报编号（原样返回）")
    platform: dict[str, Any] = Field(
        description="svc-disbursement 建立（或重复提交时已有）的申报记录，即 POST /api/v1/applications 的答复"
    )
