"""What the service knows of each company and talent (the profile the rules read), and the program awards it was told of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class EntityProfile(Base):
    """Read model of svc-talent's enterprises and talent, normalised to the variable dictionary."""

    __tablename__ = "entity_profiles"
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source_event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ProgramAward(Base):
    """A past talent-program award (svc-disbursement's ``program.selected``; removed by ``selection_withdrawn``),
    read into the talent's profile as ``program_award_codes`` and ``years_since_program_award``."""

    __tablename__ = "program_awards"
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    talent_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    program_code: Mapped[str] = mapped_column(String(64), nullable=False)
    funding_level: Mapped[str] = mapped_column(String(32), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
