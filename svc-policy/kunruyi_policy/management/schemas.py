from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kunruyi_policy.catalog.schemas import (
    DEFAULT_NOTICE_DAYS,
    REVIEW_STAGE_ORDER,
    Beneficiary,
    BenefitKind,
    FaqItem,
    Material,
    Mode,
    PolicyType,
    ReviewStage,
    VersionOut,
)


def _stages_in_order(stages: list[str] | None) -> list[str] | None:
    if stages is None:
        return None
    if not stages:
        raise ValueError("审核环节不能为空：省略或为 null 即按默认（受理、初审、复审、公示、审定）")
    positions = [REVIEW_STAGE_ORDER.index(s) for s in stages]
    if positions != sorted(set(positions)):
        raise ValueError("审核环节须按 受理、初审、复审、公示、审定 的顺序排列且不重复")
    return stages


_GUIDE_DESCRIPTIONS = {
    "plain_summary": "通俗解读：白话说明谁能享受、能拿多少、怎么拿",
    "faq": "常见问题（问与答）",
    "materials": "申报材料（名称、是否必需、说明）",
    "application_window": "受理时间，如“每年 3 月 1 日至 4 月 30 日”或“常年受理”",
    "review_stages": "审核环节，按 accepted 受理、first_review 初审、second_review 复审、public_notice 公示、"
    "approved 审定 的顺序取其中若干；省略即全部。随发布事件送到资金兑付服务",
    "notice_days": "公示天数（0–60）",
}


class PolicyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "KS-KJ-101",
                    "title": "高新技术企业首次认定奖励",
                    "legal_source": "昆科规〔2024〕9号",
                    "department_code": "KJJ",
                    "theme_code": "innovation",
                    "policy_type": "奖补",
                    "beneficiary": "enterprise",
                    "mode": "automatic",
                    "payout_days": 30,
                    "annual_budget_fen": 5000000000,
                    "valid_from": "2025-01-01",
                    "tags": ["高新技术企业"],
                    "plain_summary": "本年度首次认定为高新技术企业的昆山企业，奖励 30 万元，系统自动兑现，无需申报。",
                    "faq": [{"question": "需要申报吗？", "answer": "不需要，认定公示后系统自动兑现。"}],
                    "application_window": "无需申报",
                }
            ]
        },
        extra="forbid",
    )

    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,59}$", description="政策编码，如 KS-KJ-101")
    title: str = Field(min_length=2, max_length=200)
    legal_source: str = Field(min_length=2, max_length=200, description="文号，如 昆办发〔2022〕67号")
    department_code: str
    theme_code: str
    policy_type: PolicyType
    beneficiary: Beneficiary
    mode: Mode
    target_description: str = ""
    conditions_text: str = ""
    payout_days: int = Field(20, ge=1, le=365, description="兑现时限（工作日）")
    annual_budget_fen: int = Field(0, ge=0)
    valid_from: date
    valid_to: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    document_code: str | None = Field(None, max_length=60, description="所依据的政策文件（1+N+X）编码")
    benefit_kind: BenefitKind = Field(
        "cash",
        description="兑现形式：cash 资金、tax 税收减免、land 用地、service 服务/权益、qualification 资质",
    )
    exclusion_group: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{2,60}$", description="互斥组（同一事项的各档次，就高不重复）"
    )
    stacking_group: str | None = Field(None, max_length=60, description="叠加封顶组（每主体每年度合计上限）")
    once_per_entity: bool = Field(False, description="一次性奖励：同一主体只兑现一次")
    plain_summary: str = Field("", max_length=2000, description=_GUIDE_DESCRIPTIONS["plain_summary"])
    faq: list[FaqItem] = Field(default_factory=list, max_length=30, description=_GUIDE_DESCRIPTIONS["faq"])
    materials: list[Material] = Field(
        default_factory=list, max_length=40, description=_GUIDE_DESCRIPTIONS["materials"]
    )
    application_window: str = Field("", max_length=200, description=_GUIDE_DESCRIPTIONS["application_window"])
    review_stages: list[ReviewStage] | None = Field(None, description=_GUIDE_DESCRIPTIONS["review_stages"])
    notice_days: int = Field(DEFAULT_NOTICE_DAYS, ge=0, le=60, description=_GUIDE_DESCRIPTIONS["notice_days"])

    @field_validator("review_stages")
    @classmethod
    def stages_in_order(cls, value: list[str] | None) -> list[str] | None:
        return _stages_in_order(value)


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "高新技术企业首次认定奖励（2025 年修订）",
                    "valid_to": "2027-12-31",
                    "materials": [{"name": "高新技术企业证书", "required": True, "note": ""}],
                    "review_stages": ["accepted", "first_review", "public_notice", "approved"],
                    "notice_days": 7,
                }
            ]
        },
        extra="forbid",
    )

    title: str | None = Field(None, min_length=2, max_length=200)
    legal_source: str | None = Field(None, min_length=2, max_length=200)
    theme_code: str | None = None
    policy_type: PolicyType | None = None
    target_description: str | None = None
    conditions_text: str | None = None
    payout_days: int | None = Field(None, ge=1, le=365)
    annual_budget_fen: int | None = Field(None, ge=0)
    valid_to: date | None = None
    tags: list[str] | None = None
    plain_summary: str | None = Field(None, max_length=2000, description=_GUIDE_DESCRIPTIONS["plain_summary"])
    faq: list[FaqItem] | None = Field(None, max_length=30, description=_GUIDE_DESCRIPTIONS["faq"])
    materials: list[Material] | None = Field(
        None, max_length=40, description=_GUIDE_DESCRIPTIONS["materials"]
    )
    application_window: str | None = Field(
        None, max_length=200, description=_GUIDE_DESCRIPTIONS["application_window"]
    )
    review_stages: list[ReviewStage] | None = Field(
        None, description=_GUIDE_DESCRIPTIONS["review_stages"] + "；null 恢复默认"
    )
    notice_days: int | None = Field(None, ge=0, le=60, description=_GUIDE_DESCRIPTIONS["notice_days"])

    @field_validator("review_stages")
    @classmethod
    def stages_in_order(cls, value: list[str] | None) -> list[str] | None:
        return _stages_in_order(value)

    @field_validator(
        "title",
        "legal_source",
        "theme_code",
        "policy_type",
        "target_description",
        "conditions_text",
        "payout_days",
        "annual_budget_fen",
        "tags",
        "plain_summary",
        "faq",
        "materials",
        "application_window",
        "notice_days",
        mode="before",
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Absent means "unchanged"; only valid_to and review_stages (back to the default) may be null.
        if value is None:
            raise ValueError("不能为 null：不修改时请省略该字段")
        return value


class RulesIn(BaseModel):
    """A draft version: criteria, amount formula (fen), optional cap and dated parameters."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "criteria": [
                        {
                            "id": "new_high_tech",
                            "label": "本年度首次认定为高新技术企业",
                            "kind": "data",
                            "rule": {"in": ["high_tech", {"var": "new_qualifications"}]},
                        }
                    ],
                    "amount": {"var": "params.award_fen"},
                    "amount_cap_fen": None,
                    "parameters": {
                        "award_fen": {
                            "label": "首次认定奖励",
                            "unit": "分",
                            "values": [
                                {
                                    "effective_from": "2025-01-01",
                                    "value": 30000000,
                                    "reference": "昆科规〔2024〕9号",
                                }
                            ],
                        }
                    },
                    "note": "2025 年起奖励提高到 30 万元",
                }
            ]
        },
        extra="forbid",
    )

    criteria: list[dict[str, Any]]
    amount: Any
    amount_cap_fen: int | None = Field(None, ge=0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    note: str = ""


class PublishIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"effective_from": "2025-01-01"}]}, extra="forbid"
    )

    effective_from: date


class ValidationOut(BaseModel):
    valid: bool
    errors: list[dict[str, str]]
    warnings: list[dict[str, str]] = Field(
        default_factory=list,
        description="valid but suspicious: a comparison the variable's range decides by itself (always_true / "
        "never_true), e.g. a ratio compared with 40 instead of 0.4; the draft still saves",
    )


class PublishedOut(VersionOut):
    """The published version; for an automatic policy, the background job re-evaluating the read model."""

    evaluation_job_id: str | None = None
    evaluation_job_url: str | None = None
