"""Service campaigns (服务月): teams and members, target companies, visits, countermeasures and the tickets they became."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Campaign(Base):
    """A service campaign (专项服务月): a period, the districts it covers, its goals."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    districts: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'")
    )
    goal_visits: Mapped[int | None] = mapped_column(Integer)
    goal_problems: Mapped[int | None] = mapped_column(Integer)
    goal_reply_rate: Mapped[float | None] = mapped_column(Float)
    goal_solve_rate: Mapped[float | None] = mapped_column(Float)
    goal_on_time_rate: Mapped[float | None] = mapped_column(Float)
    # Mean rating (满意度, 1–5: 满意 5, 基本满意 3, 不满意 1).
    goal_satisfaction: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)


class CampaignTeam(Base):
    __tablename__ = "campaign_teams"

    id: Mapped[uuid.UUID] = uuid_pk()
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    leader: Mapped[str] = mapped_column(String(60), nullable=False)

    __table_args__ = (UniqueConstraint("campaign_id", "name"),)


class CampaignTeamMember(Base):
    """A member of a service team; one team per member within a campaign (the leader is a member too)."""

    __tablename__ = "campaign_team_members"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaign_teams.id", ondelete="CASCADE"), nullable=False
    )
    member: Mapped[str] = mapped_column(String(60), nullable=False)

    __table_args__ = (UniqueConstraint("campaign_id", "member"),)


class CampaignTarget(Base):
    """A company (by USCC) or a talent (by id) the campaign means to visit."""

    __tablename__ = "campaign_targets"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    target: Mapped[str] = mapped_column(String(40), nullable=False)

    __table_args__ = (UniqueConstraint("campaign_id", "kind", "target"),)


class Visit(Base):
    """A visit (走访) by a service team: whom, when, what was done, which policies were delivered."""

    __tablename__ = "visits"

    id: Mapped[uuid.UUID] = uuid_pk()
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaign_teams.id"), nullable=False
    )
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    target_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    target: Mapped[str] = mapped_column(String(40), nullable=False)
    activities: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), nullable=False, server_default=text("'{}'")
    )
    policies_delivered: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), nullable=False, server_default=text("'{}'")
    )
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()


class Countermeasure(Base):
    """A countermeasure (对策清单): what a department does about a theme of gathered needs, by when, and the
    policy version that fixed it (打补丁、破梗阻)."""

    __tablename__ = "countermeasures"

    id: Mapped[uuid.UUID] = uuid_pk()
    theme: Mapped[str] = mapped_column(String(60), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_department: Mapped[str] = mapped_column(String(40), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    policy_ref: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()


class CountermeasureTicket(Base):
    __tablename__ = "countermeasure_tickets"

    countermeasure_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("countermeasures.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
