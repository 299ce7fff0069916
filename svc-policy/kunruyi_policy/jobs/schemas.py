from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobOut(BaseModel):
    id: str
    url: str
    kind: str
    subject: str
    params: dict[str, Any]
    status: str
    status_label: str
    total: int
    done: int
    chunks: int
    rate_per_s: float | None
    eta_s: float | None
    counts: dict[str, Any]
    result: dict[str, Any] | None = None
    attempts: int
    error: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None
