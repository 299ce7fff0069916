"""Talent records (人才画像) and their history."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Talent(Base):
    __tablename__ = "talents"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    id_number_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    id_number_index: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18), nullable=False)
    # The birth date is eight of the ID number's hidden digits: encrypted like the number itself, never in the clear.
    birth_date_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    gender: Mapped[str] = mapped_column(String(6), nullable=False)
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str] = mapped_column(String(10), nullable=False, server_default="other")
    school: Mapped[str | None] = mapped_column(String(120))
    overseas: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    title: Mapped[str | None] = mapped_column(String(40))
    skill_level: Mapped[str | None] = mapped_column(String(40))
    programs: Mapped[list[dict[str, object]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'")
    )
    talent_class: Mapped[str | None] = mapped_column(String(1))
    employer_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id"), index=True
    )
    arrival_date: Mapped[date | None] = mapped_column(Date)
    annual_salary_fen: Mapped[int | None] = mapped_column(BigInteger)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False, server_default=text("'{}'"))
    expertise: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(60)), nullable=False, server_default=text("'{}'"))
    is_expert: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class TalentHistory(Base):
    """Who changed what and when; personal fields are recorded as changed, never with their values."""

    __tablename__ = "talent_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    talent_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("talents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    changes: Mapped[dict[str, object]] = mapped_column(JSONB, nullable=False)
    at: Mapped[datetime] = now_column()
