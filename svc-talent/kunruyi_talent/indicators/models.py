"""The action plan's indicators: reported values, payments by mode and challenges."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class IndicatorReport(Base):
    """A department's value for a reported indicator and quarter (指标报送). A second submission for the same
    quarter is a new revision (the earlier ones stay: the history); a second, different person approves one."""

    __tablename__ = "indicator_reports"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    quarter: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    revision: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(120), nullable=False)
    submitted_name: Mapped[str | None] = mapped_column(String(60))
    submitted_at: Mapped[datetime] = now_column()
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_name: Mapped[str | None] = mapped_column(String(60))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("code", "year", "quarter", "revision"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
    )


class IndicatorPayment(Base):
    """A payment svc-disbursement settled (its ``payment.settled`` event), kept for the payouts indicator: the
    indicator is recomputed from these rows, never by reading the disbursement service's tables."""

    __tablename__ = "indicator_payments"

    disbursement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    settled_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)


class IndicatorChallenge(Base):
    """A 揭榜挂帅 challenge svc-matching awarded (its ``challenge.awarded`` event): a 攻关项目 for the indicator
    新增“揭榜挂帅”攻关项目, in the 区镇 of the company that published it when this registry knows the company."""

    __tablename__ = "indicator_challenges"

    challenge_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    publisher_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    awarded_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
