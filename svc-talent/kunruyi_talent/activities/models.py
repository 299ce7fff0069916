"""Activities (活动): the activities, registrations and the leads heard at them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Activity(Base):
    """An activity (活动): a roadshow, salon, briefing … with a venue, a time in Beijing, a capacity and, after it, its
    outcomes (合作项目数, 商洽数)."""

    __tablename__ = "activities"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    venue: Mapped[str] = mapped_column(String(120), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    industry_chain: Mapped[str | None] = mapped_column(String(40))
    cooperation_projects: Mapped[int | None] = mapped_column(Integer)
    negotiations: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="activity_time_order"),
        CheckConstraint("capacity > 0", name="activity_capacity_positive"),
        Index("ix_activities_kind_starts", "kind", "starts_at"),
    )


class ActivityRegistration(Base):
    """One company (USCC), talent or person (name and phone, from 昆e服) registered for an activity; checked in once
    by the activity's signed code — at the door by an officer, or by the attendee's own phone.

    A person is identified by the name and the blind index of their phone (``attendee``), as self check-in
    identifies them: the same name and phone register once; the phone itself is encrypted
    (``attendee_phone_encrypted``) and shown masked. A sign-up under another name with a registered phone is another
    person's registration (answering "already registered" to it would tell anyone that the phone is registered)."""

    __tablename__ = "activity_registrations"

    id: Mapped[uuid.UUID] = uuid_pk()
    activity_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("activities.id", ondelete="CASCADE"), nullable=False
    )
    attendee_type: Mapped[str] = mapped_column(String(12), nullable=False)
    attendee: Mapped[str] = mapped_column(String(64), nullable=False)
    attendee_name: Mapped[str | None] = mapped_column(String(60))
    attendee_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    attendee_phone_masked: Mapped[str | None] = mapped_column(String(20))
    # Who registered: an officer, a partner, or the attendee on 昆e服 (self).
    registered_via: Mapped[str] = mapped_column(String(12), nullable=False, server_default="officer")
    registered_at: Mapped[datetime] = now_column()
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # officer (scanned at the door) or self (the attendee's phone).
    checked_in_via: Mapped[str | None] = mapped_column(String(12))
    # When the day-before reminder went out (once per registration; the sms-sender's tick).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# One registration per company, talent, or person (name and phone) and activity; a company's or talent's row has no
# name (coalesced, so two of them still collide).
Index(
    "uq_activity_registrations_attendee",
    ActivityRegistration.activity_id,
    ActivityRegistration.attendee_type,
    ActivityRegistration.attendee,
    func.coalesce(ActivityRegistration.attendee_name, ""),
    unique=True,
)


class ActivityLead(Base):
    """A lead (线索) an officer heard at an activity: a company's need, a cooperation (合作) or a negotiation (商洽).
    A need converts into a service ticket (here) or a technology demand (svc-matching, through the
    ``activity.lead_converted`` event; the demand's id comes back on svc-matching's ``demand.submitted``).
    The content is free text, stored masked (``mask_pii``)."""

    __tablename__ = "activity_leads"

    id: Mapped[uuid.UUID] = uuid_pk()
    activity_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("activities.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # need (a company's need) | cooperation (合作) | negotiation (商洽)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18))
    talent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    party: Mapped[str | None] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    # open | converted
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default="open")
    # ticket | demand
    converted_to: Mapped[str | None] = mapped_column(String(12))
    ticket_number: Mapped[str | None] = mapped_column(String(24))
    demand_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = now_column()
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("kind IN ('need', 'cooperation', 'negotiation')", name="activity_lead_kind"),
    )
