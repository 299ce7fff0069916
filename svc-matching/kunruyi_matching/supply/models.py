from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_matching.base import Base


class SupplyEntity(Base):
    """One searchable supplier: an expert, an institute / university, a result (成果, patent), a science park or a
    company (from svc-talent's enterprise registry).

    ``natural_key`` de-duplicates imports and events: talent_id for experts from svc-talent, the patent or
    registration number for results, the unified credit code or name for institutes and parks, the USCC for
    companies.
    """

    __tablename__ = "supply_entities"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("kind", "natural_key"),
        Index("ix_supply_entities_updated_at", "updated_at"),
        # GET /api/v1/supply pages newest first.
        Index("ix_supply_entities_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    natural_key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    organization: Mapped[str | None] = mapped_column(String(200))
    industry_chain: Mapped[str | None] = mapped_column(String(64))
    technical_field: Mapped[str | None] = mapped_column(String(64))
    ipc_class: Mapped[str | None] = mapped_column(String(32))
    # Technology readiness 1..9 for results; null for people and organisations.
    maturity: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(32))
    deals_count: Mapped[int] = mapped_column(Integer, default=0)
    # Search-mode tokens, space-separated, computed once at ingestion so the index builds without re-segmenting.
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    source: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
