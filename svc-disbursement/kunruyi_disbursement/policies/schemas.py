"""The local policy read model's inputs: svc-policy's event data and a policy finance registers with its budget."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class PolicyData(BaseModel):
    """``data`` of kunruyi.policy.policy.published|suspended|version_added|updated (svc-policy's contract)."""

    code: str = Field(min_length=1, max_length=64)
    title: str
    department: str | None = None
    mode: str = "application"
    beneficiary: str = "enterprise"
    version: int = 1
    annual_budget_fen: int | None = None
    max_amount_fen: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    status: str = "published"
    review_stages: list[str] | None = None
    notice_days: int | None = Field(None, ge=0, le=60)


class LocalPolicy(BaseModel):
    """A policy finance registers here directly (with its budget)."""

    title: str = Field(min_length=1, max_length=200)
    department: str | None = None
    district: str | None = None
    mode: Literal["automatic", "application", "quick"] = "application"
    beneficiary: Literal["enterprise", "talent"] = "enterprise"
    version: int = Field(1, ge=1)
    max_amount_fen: int | None = Field(None, gt=0)
    valid_from: date | None = None
    valid_to: date | None = None
    review_stages: list[str] | None = None
    notice_days: int = Field(5, ge=0, le=60)
    four_eyes: bool = Field(
        True, description="四眼原则：初审、复审须两人办理，审定人不得是其中之一（默认开启）"
    )
