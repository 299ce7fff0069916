"""The service desk: tickets (诉求工单), their transitions, co-handled parts and audited phone reveals."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, uuid_pk


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_number: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    access_secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    # Free text is stored masked (kunruyi_common.pii_text); the original, when anything was masked, encrypted.
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    title_encrypted: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    description_encrypted: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    requester_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    requester_name: Mapped[str | None] = mapped_column(String(60))
    requester_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    requester_phone_masked: Mapped[str | None] = mapped_column(String(20))
    talent_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("talents.id"), index=True
    )
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    service_code: Mapped[str | None] = mapped_column(String(60))
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    officer: Mapped[str] = mapped_column(String(60), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    reply: Mapped[str | None] = mapped_column(Text)
    reply_encrypted: Mapped[str | None] = mapped_column(Text)
    # The requester's rating of the latest answer (满意 / 基本满意 / 不满意); ``satisfaction`` is its 1–5 score
    # (5 / 3 / 1) for the desk's averages. The rating's note is a transition comment (protected free text).
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    rating: Mapped[str | None] = mapped_column(String(24))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The latest reply (``replied_at`` keeps the first, for the on-time rate): the reopen window starts here.
    last_replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A problem raised on a campaign visit (channel ``visit``).
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.id"), index=True
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("visits.id"))

    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint(
            "rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')", name="rating_known"
        ),
        Index("ix_tickets_department_status", "department", "status"),
        Index(
            "ix_tickets_open_deadline",
            "deadline",
            postgresql_where=text("replied_at IS NULL AND overdue_at IS NULL"),
        ),
    )


class TicketTransition(Base):
    __tablename__ = "ticket_transitions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    comment_encrypted: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class TicketPart(Base):
    """A co-handling department's part of a jointly handled ticket (一个窗口接单，后台共同处理): the lead (the
    ticket's own department) invites it with a task; it answers its part; the lead replies once every part is
    answered. Task and answer are free text, stored masked with the original encrypted (bound to the ticket)."""

    __tablename__ = "ticket_parts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    department: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    officer: Mapped[str] = mapped_column(String(60), nullable=False)
    task: Mapped[str] = mapped_column(Text, nullable=False)
    task_encrypted: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_encrypted: Mapped[str | None] = mapped_column(Text)
    invited_by: Mapped[str] = mapped_column(String(120), nullable=False)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("ticket_id", "department"),)


class TicketReveal(Base):
    """The audit trail of reveals: who saw a ticket's masked text or requester phone in clear, when, and why."""

    __tablename__ = "ticket_reveals"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ticket_number: Mapped[str] = mapped_column(String(24), nullable=False)
    department: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    field: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    actor_name: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
