"""Talent housing (人才公寓): projects, units, applications and offers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class HousingProject(Base):
    __tablename__ = "housing_projects"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    district: Mapped[str] = mapped_column(String(40), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    eligible_classes: Mapped[list[str]] = mapped_column(ARRAY(String(1)), nullable=False)
    monthly_rent_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = now_column()


class HousingUnit(Base):
    __tablename__ = "housing_units"

    id: Mapped[uuid.UUID] = uuid_pk()
    project_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("housing_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    unit_number: Mapped[str] = mapped_column(String(40), nullable=False)
    layout: Mapped[str] = mapped_column(String(40), nullable=False, server_default="")
    area_m2: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))
    # occupied | available | offered
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default="available")
    occupant_talent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("talents.id"))

    __table_args__ = (UniqueConstraint("project_id", "unit_number"),)


class HousingApplication(Base):
    __tablename__ = "housing_applications"

    id: Mapped[uuid.UUID] = uuid_pk()
    talent_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("talents.id"), nullable=False)
    project_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("housing_projects.id"), nullable=False
    )
    talent_class: Mapped[str] = mapped_column(String(1), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    # waiting | offered | housed | withdrawn
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    declines: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default=text("0"))
    # Set on the second decline: the applicant then queues behind everyone not sent back, whatever the score.
    back_of_queue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (
        # One live application per talent; a finished one (housed/withdrawn) does not block a new one.
        Index(
            "uq_housing_applications_live_talent",
            "talent_id",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'offered')"),
        ),
        Index("ix_housing_applications_queue", "project_id", "status", "score", "queued_at"),
    )


class HousingOffer(Base):
    __tablename__ = "housing_offers"

    id: Mapped[uuid.UUID] = uuid_pk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("housing_applications.id"), nullable=False, index=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("housing_units.id"), nullable=False
    )
    # pending | accepted | declined | lapsed
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # The database itself refuses a unit offered twice or an applicant holding two offers at once.
        Index(
            "uq_housing_offers_pending_unit",
            "unit_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "uq_housing_offers_pending_application",
            "application_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )
