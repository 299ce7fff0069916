"""免申即享 entitlements (one per entity, policy and period) and the runs that grant them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class Entitlement(Base):
    """The guard of 免申即享: one row, hence one event, per (policy, entity, period, sequence) — sequence 0 the
    period's entitlement, 1, 2 … its supplements (补充认定) for loans that closed after it was determined."""

    __tablename__ = "entitlements"
    __table_args__ = (
        UniqueConstraint(
            "policy_code",
            "entity_type",
            "entity_id",
            "period",
            "sequence",
            name="uq_entitlements_policy_code",
        ),
        # an entity's entitlements so far (settling a run's chunk: exclusion groups, caps, pay once)
        Index("ix_entitlements_entity", "entity_type", "entity_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    trace_digest: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    determined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # 补充认定: 0 the period's entitlement, n ≥ 1 its n-th supplement (``supplement_of`` the original's id)
    sequence: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    supplement_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # a financing item's entitlement: the loans it covers ("<institution>|<loan number>"); null for other items
    loan_keys: Mapped[list[str] | None] = mapped_column(ARRAY(Text), nullable=True)


class EntitlementRun(Base):
    __tablename__ = "entitlement_runs"
    __table_args__ = (UniqueConstraint("period", "catalog_digest", name="uq_entitlement_runs_period"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    period: Mapped[str] = mapped_column(String(10))
    evaluation_date: Mapped[date] = mapped_column(Date)
    catalog_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the background job doing the run (jobs/); a cancelled or failed run gets a new one when started again
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
