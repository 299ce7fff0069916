"""科创平台: platform records and their reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Platform(Base):
    """A 科创平台 an enterprise hosts (博士后工作站, 工程技术研究中心, 企业技术中心, 新型研发机构, 孵化器, 众创空间 …):
    its kind and level, the recognition (认定) and its expiry, who issued it and the certificate number. It counts
    as held from recognition to expiry unless a yearly review failed (``revoked_on``)."""

    __tablename__ = "platforms"

    id: Mapped[uuid.UUID] = uuid_pk()
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    recognized_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    issuing_body: Mapped[str] = mapped_column(String(80), nullable=False)
    certificate_number: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= recognized_on", name="dates_in_order"),
        Index("ix_platforms_recognized_on", "recognized_on"),
    )


class PlatformReview(Base):
    """One yearly review (年度考核/评估) of a platform: 优秀, 合格 or 不合格 (the platform is no longer held)."""

    __tablename__ = "platform_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    platform_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    result: Mapped[str] = mapped_column(String(10), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    recorded_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (UniqueConstraint("platform_id", "year"),)
