from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_gateway.db_base import Base


class ServiceCode(Base):
    """A 昆e服 code posted at an enterprise, a park or a talent lounge."""

    __tablename__ = "service_codes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # enterprise | park | lounge
    # The enterprise's USCC, or the park's / lounge's own identifier.
    target: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    industry_chain: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    # The issuing officer's department: its staff and admins revoke the code (service_codes/access.py). None when
    # not known (admins' alone).
    department: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    scan_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the bulk batch (a background job) that issued it, for the batch's download
    batch_job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True, index=True)
