"""Answers of the ledger endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AccountRead(BaseModel):
    """A ledger account and its running balances (fen)."""

    id: str
    code: str = Field(description="账户编码，如 budget:KS-KJ-001:2025、payable:enterprise:<USCC>")
    kind: str = Field(description="budget | payable | clearing | funding")
    policy_code: str | None
    fiscal_year: int | None
    entity_type: str | None
    entity_id: str | None
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    available_fen: int = Field(description="贷方余额：预算账户为可预留金额，应付账户为应付金额（分）")


class InvariantChecks(BaseModel):
    debits_equal_credits_posted: bool
    debits_equal_credits_pending: bool
    balances_equal_sum_of_transfers: bool
    resolutions_match_pending: bool
    no_budget_below_zero: bool


class MismatchedAccount(BaseModel):
    code: str
    stored: list[int] = Field(description="账户上记的 [借方预留, 借方已过账, 贷方预留, 贷方已过账]")
    from_transfers: list[int] = Field(description="由转账重新算出的同四项")


class InvariantsReport(BaseModel):
    """The ledger's invariants, each checked against the database."""

    ok: bool
    checks: InvariantChecks
    accounts: int
    transfers: int
    total_debits_posted_fen: int
    total_credits_posted_fen: int
    total_debits_pending_fen: int
    total_credits_pending_fen: int
    mismatched_accounts: list[MismatchedAccount] = Field(description="至多 50 个")
    bad_resolutions: list[str] = Field(description="至多 50 个")
    overdrawn_accounts: list[str] = Field(description="至多 50 个")
