from __future__ import annotations

from kunruyi_common.jobs import JobOut
from pydantic import BaseModel, Field

__all__ = ["JobOut", "JobPage", "PolicyJobOut"]


class PolicyJobOut(JobOut):
    """A job of svc-policy as its staff see it: whose it is, and whether the caller may cancel it."""

    department: str | None = Field(description="the department the job belongs to (None: admins' alone)")
    may_cancel: bool = Field(description="the caller may cancel it (its department's staff, admins)")


class JobPage(BaseModel):
    items: list[PolicyJobOut]
    next_cursor: str | None
