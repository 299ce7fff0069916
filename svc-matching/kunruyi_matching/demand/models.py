from __future__ import annotations

import uuid
from datetime import date, datetime

from kunruyi_common.crypto import mask_name
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_matching.base import Base


class Demand(Base):
    """A technology demand (技术需求 / 难题) and where it stands in the engagement pipeline."""

    __tablename__ = "demands"
    __table_args__ = (
        Index("ix_demands_status_created", "status", "created_at"),
        Index("ix_demands_broker", "broker_id"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # The number and query code the filer follows it by (``XQ`` + local date + sequence; the code's SHA-256).
    demand_number: Mapped[str | None] = mapped_column(String(24), unique=True)
    access_secret_hash: Mapped[str | None] = mapped_column(String(64))
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # Whom the broker calls: the name, and the phone encrypted (associated data "demands.contact_phone:<id>").
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(20))
    # False when someone not signed in as the company filed it under the company's code (a 昆e服 visitor).
    submitter_verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Free text is stored masked (kunruyi_common.pii_text); the original, when anything was masked, encrypted.
    title: Mapped[str] = mapped_column(String(200))
    title_encrypted: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    description_encrypted: Mapped[str | None] = mapped_column(Text)
    industry_chain: Mapped[str] = mapped_column(String(64))
    technical_field: Mapped[str] = mapped_column(String(64))
    demand_type: Mapped[str] = mapped_column(String(16))
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[date | None] = mapped_column(Date)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    channel: Mapped[str] = mapped_column(String(16))
    # The svc-talent activity lead this demand was filed from (its ``activity_lead.converted`` event): one demand
    # per lead, whatever the redeliveries.
    lead_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    region: Mapped[str] = mapped_column(String(32), default="昆山")
    # pending_review → rejected | unassigned (approved, waiting for a broker) → assigned → closed
    status: Mapped[str] = mapped_column(String(24), default="pending_review")
    stage: Mapped[str | None] = mapped_column(String(32))
    submitted_by: Mapped[str] = mapped_column(String(120))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    review_note: Mapped[str | None] = mapped_column(Text)
    review_note_encrypted: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    broker_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("brokers.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assignment_mode: Mapped[str | None] = mapped_column(String(16))
    # Brokers who held this demand and released it (or lost it to a declared conflict): the optimiser does not
    # give it back to them; they may still claim it.
    released_by: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'::uuid[]")
    )
    matched_supply_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    contract_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    contract_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    broker_reward_fen: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    @property
    def contact_name_masked(self) -> str | None:
        return mask_name(self.contact_name) if self.contact_name else None


class DemandReveal(Base):
    """The audit trail of reveals: who saw a demand's masked free text in clear, when, and why."""

    __tablename__ = "demand_reveals"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    demand_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("demands.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(120))
    actor_name: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
