"""Requests and answers of the payment endpoints: payees and bank callbacks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_disbursement.schemas import Timestamp


class PayeeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_type": "enterprise",
                    "entity_id": "91320583MA1KR8Y29Y",
                    "account_name": "昆山某某智能装备有限公司",
                    "account_number": "6222021102012345678",
                    "bank_name": "中国工商银行昆山分行",
                }
            ]
        }
    )

    entity_type: Literal["enterprise", "talent"]
    entity_id: str = Field(min_length=1, max_length=64)
    account_name: str = Field(min_length=1, max_length=100)
    account_number: str = Field(min_length=8, max_length=40)
    bank_name: str = Field(min_length=1, max_length=100)


class PayeeRead(BaseModel):
    """A registered payee; the account number only masked."""

    id: str
    entity_type: str
    entity_id: str
    account_name: str
    account_number_masked: str = Field(description="脱敏账号，如 6222************5678")
    bank_name: str
    updated_at: Timestamp


class CallbackOutcome(BaseModel):
    """What one bank update did: applied, stale (an older sequence), ignored, amount_mismatch, not_found."""

    reference: str
    outcome: Literal["applied", "stale", "not_found", "ignored", "amount_mismatch"]


class CallbackOutcomes(BaseModel):
    """A batch callback's outcomes, in the order of its events."""

    results: list[CallbackOutcome]
