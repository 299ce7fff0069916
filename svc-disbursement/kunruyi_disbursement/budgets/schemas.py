"""Requests and answers of the budget endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_disbursement.ledger.schemas import AccountRead
from kunruyi_disbursement.policies.schemas import LocalPolicy


class BudgetFunding(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy_code": "KS-KJ-001",
                    "fiscal_year": 2025,
                    "amount_fen": 5000000000,
                    "memo": "2025 年度预算下达",
                }
            ]
        }
    )

    policy_code: str = Field(min_length=1, max_length=64)
    fiscal_year: int = Field(ge=2000, le=2100)
    amount_fen: int = Field(gt=0, description="本次拨入预算（分）")
    transfer_id: uuid.UUID | None = Field(
        None, description="转账 id（幂等键）；缺省时由 Idempotency-Key 推导；两者必有其一"
    )
    memo: str | None = Field(None, max_length=200)
    policy: LocalPolicy | None = Field(
        None,
        description="政策编码未知时在本地登记占位政策（政策服务尚未发布时，用于测试与演示）；"
        "已知政策的规则（审核流程、四眼原则、上限、有效期、状态）只来自政策服务目录，预算拨入不会改动",
    )


class BudgetFunded(BaseModel):
    """The budget after a funding, and whether this request made the transfer (False: a retry of one made)."""

    budget: AccountRead
    transfer_id: str
    created: bool
    resumed_disbursements: int = Field(description="因本次拨入而恢复预留的待预算拨付数")
    policy_registered: bool = Field(
        False, description="本次请求是否登记了占位政策（政策编码此前未知时；已知政策不会被改动）"
    )


class BudgetRead(AccountRead):
    awaiting_budget: int = Field(description="等待本预算的拨付数")


class BudgetPage(BaseModel):
    items: list[BudgetRead]
    next_cursor: str | None
