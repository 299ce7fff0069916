from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kunruyi_policy.catalog.schemas import Beneficiary, BenefitKind, Mode, PolicyType, VersionOut


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


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "高新技术企业首次认定奖励（2025 年修订）", "valid_to": "2027-12-31"}]
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
        mode="before",
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Absent means "unchanged"; only valid_to may be cleared with null (the others are required columns).
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


class PublishedOut(VersionOut):
    """The published version; for an automatic policy, the background job re-evaluating the read model."""

    evaluation_job_id: str | None = None
    evaluation_job_url: str | None = None
