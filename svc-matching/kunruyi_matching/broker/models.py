from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_matching.base import Base


class Broker(Base):
    """A technology broker (技术经纪人); ``subject`` is the staff principal's subject when they sign in."""

    __tablename__ = "brokers"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    agency: Mapped[str] = mapped_column(String(120), index=True)
    certification: Mapped[str] = mapped_column(String(16))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    chains: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    monthly_capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BrokerConflict(Base):
    """A declared conflict of interest: the broker must never be assigned this enterprise's demands."""

    __tablename__ = "broker_conflicts"

    broker_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("brokers.id"), primary_key=True
    )
    enterprise_uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(200))


class AssignmentRun(Base):
    __tablename__ = "assignment_runs"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    trigger: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    considered: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer)
    total_affinity_milli: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
