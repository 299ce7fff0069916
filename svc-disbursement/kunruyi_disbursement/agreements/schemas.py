"""Request and response shapes of the funding agreements (资助协议) and 绩效评估."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from kunruyi_common.fields import Uscc
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_disbursement.programs.schemas import MAX_FEN

Milestone = Literal["company_registered", "first_revenue", "headcount", "assessment_passed"]
MILESTONE_TITLES = {
    "company_registered": "企业在昆山注册",
    "first_revenue": "实现首笔销售收入",
    "headcount": "用工人数达标",
    "assessment_passed": "年度绩效评估通过",
}


class TrancheIn(BaseModel):
    milestone: Milestone = Field(
        description="里程碑：" + "，".join(f"{k} {v}" for k, v in MILESTONE_TITLES.items())
    )
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="本期资助金额（分）")
    target: int | None = Field(None, ge=1, le=100_000, description="headcount：目标用工人数")
    assessment_year: int | None = Field(None, ge=2000, le=2100, description="assessment_passed：考核年度")


class AgreementIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tranches": [
                        {"milestone": "company_registered", "amount_fen": 50_000_000},
                        {"milestone": "assessment_passed", "assessment_year": 2027, "amount_fen": 50_000_000},
                    ]
                }
            ]
        }
    )

    tranches: list[TrancheIn] = Field(min_length=1, max_length=10, description="分期：按顺序，总额为各期之和")


class TrancheOut(BaseModel):
    seq: int
    milestone: Milestone
    milestone_title: str
    target: int | None
    assessment_year: int | None
    amount_fen: int
    status: Literal["pending", "due", "released", "cancelled"]
    evidence: str | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    released_fen: int | None
    released_by: str | None
    released_at: datetime | None
    disbursement_id: uuid.UUID | None
    disbursement_status: str | None = Field(None, description="拨付记录的状态（reserved … settled）")


class AssessmentOut(BaseModel):
    year: int
    result: Literal["pass", "fail"]
    reason: str | None
    consequence: Literal["pause", "terminate"] | None
    assessed_by: str
    assessed_at: datetime


class GreenQualification(BaseModel):
    kind: str
    name: str
    granted_on: date


class GreenChannelOut(BaseModel):
    eligible: bool = Field(description="计划期内企业晋升了下列资质之一，验收可走绿色通道（免常规评审）")
    since: date | None = Field(description="计划期起算日（批次遴选之日，北京时间）")
    reached: list[GreenQualification] = Field(
        description="计划期内获得的高企、专精特新、瞪羚、独角兽培育、规上资质"
    )
    why: str = Field(description="给经办人看的理由")


class AcceptanceOut(BaseModel):
    result: Literal["passed", "failed"]
    channel: Literal["regular", "green"]
    note: str | None
    green_qualifications: list[str]
    accepted_by: str
    accepted_at: datetime


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"channel": "green", "note": "计划期内认定为高新技术企业，免常规评审"},
                {"channel": "regular", "result": "failed", "note": "产业化目标未完成"},
            ]
        }
    )

    channel: Literal["regular", "green"] = Field(
        "regular", description="regular 常规评审后录入结果；green 绿色通道（计划期内企业晋升资质，直接通过）"
    )
    result: Literal["passed", "failed"] | None = Field(
        None, description="常规验收的结果（必填）；绿色通道为通过，可不填"
    )
    note: str | None = Field(None, max_length=2000, description="验收说明（不通过时必填）")


class AgreementOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    call_id: uuid.UUID
    policy_code: str = Field(description="计划的预算编码（预算按此编码与年度拨入）")
    department: str
    applicant_id: str
    applicant_name: str
    company_uscc: str | None
    company_name: str | None
    landed: bool = Field(description="企业是否已在昆山注册（未落地先评审的，确认注册里程碑后为 true）")
    funding_level: str
    total_fen: int
    released_fen: int
    status: Literal["active", "paused", "terminated", "completed"]
    status_reason: str | None
    tranches: list[TrancheOut]
    assessments: list[AssessmentOut]
    acceptance: AcceptanceOut | None = Field(description="验收结果（未验收为空）")
    green_channel: GreenChannelOut
    created_at: datetime


class ConfirmIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evidence": "营业执照已核验，注册地昆山市玉山镇",
                    "company_uscc": "91320583MA1KR8Y29Y",
                    "company_name": "昆山某某科技有限公司",
                }
            ]
        }
    )

    evidence: str = Field(
        min_length=1, max_length=2000, description="佐证说明（营业执照、发票、社保缴纳名单等）"
    )
    company_uscc: Uscc | None = Field(None, description="注册里程碑：新注册企业的统一社会信用代码")
    company_name: str | None = Field(None, max_length=200)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "注册里程碑已确认，拨付第一期"}]})

    amount_fen: int | None = Field(
        None, gt=0, le=MAX_FEN, description="拨付金额（分）；缺省为本期金额，不能超过本期金额与协议剩余额度"
    )
    comment: str | None = Field(None, max_length=500)


class AssessmentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"year": 2027, "result": "fail", "reason": "营收与用工均未达协议目标", "consequence": "pause"}
            ]
        }
    )

    year: int = Field(ge=2000, le=2100)
    result: Literal["pass", "fail"]
    reason: str | None = Field(None, max_length=2000, description="不通过的原因（不通过时必填）")
    consequence: Literal["pause", "terminate"] | None = Field(
        None, description="不通过时：pause 暂停剩余期次（下一年通过后恢复），terminate 终止剩余期次"
    )


class AgreementList(BaseModel):
    items: list[AgreementOut]
