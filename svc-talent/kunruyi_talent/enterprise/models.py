"""The registry's companies (一企一档): the record, its yearly figures, qualifications and contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = uuid_pk()
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    district: Mapped[str] = mapped_column(String(40), nullable=False)
    industry_chain: Mapped[str | None] = mapped_column(String(40))
    founded_on: Mapped[date | None] = mapped_column(Date)
    employees: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    invention_patents: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    platforms: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint("employees >= 0", name="employees_non_negative"),
        CheckConstraint("invention_patents >= 0", name="patents_non_negative"),
        Index("ix_enterprises_district_chain", "district", "industry_chain"),
    )


class EnterpriseFigures(Base):
    __tablename__ = "enterprise_figures"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    revenue_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rd_expense_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    high_tech_revenue_ratio: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class EnterpriseQualification(Base):
    __tablename__ = "enterprise_qualifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    level: Mapped[str | None] = mapped_column(String(20))
    certificate_number: Mapped[str | None] = mapped_column(String(80))
    granted_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (UniqueConstraint("enterprise_id", "kind"),)


class EnterpriseContact(Base):
    __tablename__ = "enterprise_contacts"

    id: Mapped[uuid.UUID] = uuid_pk()
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    role: Mapped[str | None] = mapped_column(String(60))
    phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    phone_masked: Mapped[str] = mapped_column(String(20), nullable=False)
