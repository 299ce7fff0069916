from __future__ import annotations

from kunruyi_common.jobs import JobOut
from pydantic import BaseModel

__all__ = ["JobOut", "JobPage"]


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None
