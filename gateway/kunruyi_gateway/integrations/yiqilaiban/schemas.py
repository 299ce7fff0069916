from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class PortalEnterprise(BaseModel):
    """An enterprise as the province's data-sharing platform records it (passed on as it comes; fields the
    platform adds are kept)."""

    model_config = ConfigDict(extra="allow")

    uscc: str = Field(description="统一社会信用代码", examples=["91320583MA1XXXXX9M"])
    name: str | None = Field(None, description="企业名称", examples=["昆山芯科技有限公司"])
    legal_representative: str | None = Field(None, description="法定代表人（平台已打码）", examples=["张**"])
    registered_capital_fen: int | None = Field(None, description="注册资本（分）")
    founded_on: str | None = Field(None, description="成立日期", examples=["2015-03-15"])
    district: str | None = Field(None, description="所在地", examples=["昆山市"])
    industry: str | None = Field(None, description="行业", examples=["集成电路"])
    status: str | None = Field(None, description="登记状态", examples=["存续"])
    source: str | None = Field(None, description="数据来源")
