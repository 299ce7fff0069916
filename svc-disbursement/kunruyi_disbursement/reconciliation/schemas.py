"""Requests and answers of the reconciliation endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from kunruyi_common.inputs import INT8_MAX, unstorable
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator


class RunIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"date": "2025-06-30"}]})

    date: date


class StatementEntry(BaseModel):
    """One line of the bank's daily statement (deploy/emulators/BANK.md). The amount is an integer of fen: a
    fraction (yuan with decimals, ``12.50``) or a string is a statement in another unit or shape, refused whole."""

    reference: str = Field(min_length=1, max_length=64)
    amount_fen: StrictInt = Field(ge=0, le=INT8_MAX)
    status: Literal["settled", "returned"]

    @field_validator("reference")
    @classmethod
    def _storable(cls, value: str) -> str:
        if unstorable(value):
            raise ValueError("含有无法保存的字符（空字符或无效的 Unicode）")
        return value


class Statement(BaseModel):
    """The bank's statement of one day, as far as reconciliation reads it."""

    entries: list[StatementEntry]


class Mismatch(BaseModel):
    kind: Literal["missing_in_ledger", "missing_in_bank", "amount_mismatch"]
    reference: str = Field(description="银行支付参考号")
    ledger_amount_fen: int | None
    bank_amount_fen: int | None


class RunMismatch(Mismatch):
    """A mismatch of a stored run with the disbursement the ledger knows under its reference (none for money only
    the bank knows of)."""

    disbursement_id: str | None = None
    policy_code: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    disbursement_status: str | None = Field(None, description="拨付的当前状态")


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
    mismatches: list[Mismatch] = Field(
        description="差异明细：部门工作人员只见本部门政策的差异和仅银行有记录的款项，管理员见全部"
    )
    other_departments: int = Field(
        0, description="属于其他部门政策、未在 mismatches 中列出的差异数（上面的合计与计数仍是整次对账的）"
    )


class ReconciliationRun(ReconciliationReport):
    """A run as stored: its report, who started it and when."""

    mismatches: list[RunMismatch]  # type: ignore[assignment]
    created_at: datetime
    created_by: str | None = Field(description="发起对账的人（定时任务为 system）")


class ReconciliationRunList(BaseModel):
    items: list[ReconciliationRun]
