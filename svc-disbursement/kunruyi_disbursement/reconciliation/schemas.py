"""Requests and answers of the reconciliation endpoints."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"date": "2025-06-30"}]})

    date: date


class Mismatch(BaseModel):
    kind: Literal["missing_in_ledger", "missing_in_bank", "amount_mismatch"]
    reference: str = Field(description="银行支付参考号")
    ledger_amount_fen: int | None
    bank_amount_fen: int | None


class ReconciliationReport(BaseModel):
    """One day's statement against the ledger: net amount paid per reference on both sides."""

    id: str
    statement_date: str = Field(description="对账日（YYYY-MM-DD）")
    ok: bool
    matched: int
    missing_in_ledger: int = Field(description="银行有、账本没有的参考号数")
    missing_in_bank: int = Field(description="账本有、银行没有的参考号数")
    amount_mismatch: int = Field(description="两边金额不同的参考号数")
    bank_total_fen: int
    ledger_total_fen: int
    mismatches: list[Mismatch]
