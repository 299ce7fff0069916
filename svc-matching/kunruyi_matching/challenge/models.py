from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_matching.base import Base


class Challenge(Base):
    """A 揭榜挂帅 list entry: published → applying teams → scored → awarded → milestones → accepted (验收)."""

    __tablename__ = "challenges"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text)
    industry_chain: Mapped[str] = mapped_column(String(64))
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    publisher_uscc: Mapped[str | None] = mapped_column(String(18))
    # The publishing officer's department (the ``department`` claim of their staff token): only its staff (and
    # admins) score, award, record milestones and accept. None for challenges published before migration
    # matching_0014 or by staff whose token names no department: those stay with staff naming none, and admins.
    department: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="published")
    awarded_application_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChallengeApplication(Base):
    __tablename__ = "challenge_applications"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (UniqueConstraint("challenge_id", "team_name"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("challenges.id"), index=True
    )
    team_name: Mapped[str] = mapped_column(String(120))
    leader: Mapped[str] = mapped_column(String(60))
    organization: Mapped[str] = mapped_column(String(200))
    proposal: Mapped[str] = mapped_column(Text)
    # Who filed it ("<principal kind>:<subject>"): that caller reads the application back; other applicants do
    # not. None for applications filed before migration matching_0012 (read by the challenge's staff only).
    applied_by: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChallengeScore(Base):
    __tablename__ = "challenge_scores"
    __table_args__ = (UniqueConstraint("application_id", "reviewer"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("challenge_applications.id"), index=True
    )
    reviewer: Mapped[str] = mapped_column(String(120))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class ChallengeMilestone(Base):
    __tablename__ = "challenge_milestones"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("challenges.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
