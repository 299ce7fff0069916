"""Requests and answers of the application endpoints (申报, its review, attachments and the reveal of masked text)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_disbursement.schemas import Timestamp


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy_code": "KS-RC-002",
                    "applicant_type": "enterprise",
                    "applicant_id": "91320583MA1KR8Y29Y",
                    "period": "2025",
                    "channel": "api",
                    "external_ref": "YQLB-2025-000123",
                }
            ]
        }
    )

    policy_code: str = Field(min_length=1, max_length=64)
    applicant_type: Literal["enterprise", "talent"]
    applicant_id: str = Field(min_length=1, max_length=64, description="企业统一社会信用代码或人才 talent_id")
    period: str = Field(min_length=4, max_length=16, examples=["2026"])
    amount_fen: int | None = Field(
        None,
        gt=0,
        strict=True,
        description="申请金额（分，正整数）；不填则按 svc-policy 政策计算器为该主体算出的金额申报",
    )
    channel: Literal["api", "yiqilaiban"] = "api"
    external_ref: str | None = Field(None, max_length=100, description="一企来办等外部渠道的业务编号")


class StepIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to_status": "first_review", "comment": "材料齐全，进入初审"}]}
    )

    to_status: str = Field(
        description="下一环节：accepted、first_review、second_review、public_notice、approved"
    )
    comment: str | None = Field(None, max_length=1000)


class RejectIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "不符合申报条件：研发投入占比低于 3%"}]}
    )

    reason: str = Field(min_length=1, max_length=1000)


class ReturnIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "请补充 2024 年度审计报告"}]})

    comment: str = Field(min_length=1, max_length=1000, description="需补正的材料或内容")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"objector": "某某科技有限公司", "content": "公示企业的研发费用数据与年报不一致。"}]
        }
    )

    objector: str = Field(min_length=1, max_length=100)
    content: str = Field(min_length=1, max_length=2000)


class RevealIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "核对收款账户与申请人是否一致"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    reason: str = Field(min_length=2, max_length=500, description="查看原文的事由（记入审计日志）")


class ApplicationRead(BaseModel):
    """An application and where it stands in its review."""

    id: str
    application_number: str
    policy_code: str
    policy_version: int | None
    applicant_type: str
    applicant_id: str
    applicant_name: str | None = Field(
        None,
        description="企业名称或人才姓名（来自人才服务的登记事件；工作人员与内部服务看到全名，其他调用方看到人才的姓）",
    )
    policy_title: str | None = Field(None, description="政策名称（来自政策目录事件）")
    period: str
    amount_fen: int = Field(description="申报金额（分）")
    amount_source: Literal["requested", "computed"] = Field(
        description="requested：申请人填写；computed：svc-policy 政策计算器算出（版本与结论见下两项）"
    )
    amount_policy_version: int | None
    amount_calculator_status: str | None
    channel: str
    external_ref: str | None
    status: str
    status_title: str = Field(description="状态中文名")
    workflow: list[str] = Field(description="本申报的审核环节（提交时自政策复制）")
    allowed_next: list[str] = Field(description="下一步可推进到的环节（拨付由银行结算自动完成，不在其中）")
    notice_ends_at: Timestamp | None
    reject_reason: str | None = Field(description="不予通过理由（个人信息已脱敏）")
    disbursement_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class StepRead(BaseModel):
    from_status: str | None
    to_status: str
    action: str
    actor: str | None
    actor_name: str | None
    comment: str | None = Field(description="意见（个人信息已脱敏）")
    at: Timestamp


class AttachmentRead(BaseModel):
    id: str
    filename: str
    content_type: str | None
    size_bytes: int
    sha256: str
    uploaded_at: Timestamp


class ObjectionRead(BaseModel):
    objector: str
    content: str = Field(description="异议内容（个人信息已脱敏）")
    recorded_by: str | None
    at: Timestamp


class ApplicationDetail(ApplicationRead):
    """An application with every step (who, when, comment), its attachments and objections."""

    amount_calculation: dict[str, Any] | None = Field(description="算出金额时政策计算器的结论快照")
    steps: list[StepRead]
    attachments: list[AttachmentRead]
    objections: list[ObjectionRead]


class ApplicationPage(BaseModel):
    items: list[ApplicationRead]
    next_cursor: str | None


class AttachmentStored(BaseModel):
    id: str
    filename: str
    size_bytes: int
    sha256: str = Field(description="内容的 SHA-256（十六进制）")


class RevealedStep(BaseModel):
    from_status: str | None
    to_status: str
    action: str
    actor: str | None
    at: Timestamp
    comment: str | None = Field(description="意见原文")


class RevealedObjection(BaseModel):
    objector: str
    recorded_by: str | None
    at: Timestamp
    content: str | None = Field(description="异议原文")


class RevealedText(BaseModel):
    """An application's free text in clear; the reveal is audit entry ``audit_seq``."""

    application_id: str
    reject_reason: str | None
    steps: list[RevealedStep]
    objections: list[RevealedObjection]
    audit_seq: int | None


class RevealEntry(BaseModel):
    seq: int
    at: Timestamp
    actor: str | None
    actor_name: str | None
    reason: str | None


class RevealPage(BaseModel):
    items: list[RevealEntry]
