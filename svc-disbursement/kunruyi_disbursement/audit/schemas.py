"""Answers of the audit endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kunruyi_disbursement.schemas import Timestamp


class ChainProblem(BaseModel):
    seq: int
    problem: str = Field(description="missing | broken_link | altered | truncated")
    detail: str


class ChainVerification(BaseModel):
    """The hash chain walked from its start; the first broken link, if any."""

    ok: bool
    entries_checked: int
    last_seq: int
    problems: list[ChainProblem] = Field(description="至多 20 个")


class AuditEntry(BaseModel):
    seq: int
    occurred_at: Timestamp
    actor: str | None
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]


class AuditEntries(BaseModel):
    items: list[AuditEntry]
