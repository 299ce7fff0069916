"""The talent service's tables: enterprises (一企一档), talent (人才画像), the service desk and talent housing."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table
from kunruyi_common.periodic import periodic_runs_table
from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
periodic_runs = periodic_runs_table(Base.metadata)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()
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

    id: Mapped[uuid.UUID] = _uuid_pk()
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    level: Mapped[str | None] = mapped_column(String(20))
    certificate_number: Mapped[str | None] = mapped_column(String(80))
    granted_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("enterprise_id", "kind"),)


class EnterpriseContact(Base):
    __tablename__ = "enterprise_contacts"

    id: Mapped[uuid.UUID] = _uuid_pk()
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    role: Mapped[str | None] = mapped_column(String(60))
    phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    phone_masked: Mapped[str] = mapped_column(String(20), nullable=False)


class Talent(Base):
    __tablename__ = "talents"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()
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
    at: Mapped[datetime] = _created()


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = _uuid_pk()
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


class Campaign(Base):
    """A service campaign (专项服务月): a period, the districts it covers, its goals."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)


class CampaignTeam(Base):
    __tablename__ = "campaign_teams"

    id: Mapped[uuid.UUID] = _uuid_pk()
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

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()


class Countermeasure(Base):
    """A countermeasure (对策清单): what a department does about a theme of gathered needs, by when, and the
    policy version that fixed it (打补丁、破梗阻)."""

    __tablename__ = "countermeasures"

    id: Mapped[uuid.UUID] = _uuid_pk()
    theme: Mapped[str] = mapped_column(String(60), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_department: Mapped[str] = mapped_column(String(40), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    policy_ref: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = _created()


class CountermeasureTicket(Base):
    __tablename__ = "countermeasure_tickets"

    countermeasure_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("countermeasures.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )


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


class HousingProject(Base):
    __tablename__ = "housing_projects"

    id: Mapped[uuid.UUID] = _uuid_pk()
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    district: Mapped[str] = mapped_column(String(40), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    eligible_classes: Mapped[list[str]] = mapped_column(ARRAY(String(1)), nullable=False)
    monthly_rent_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = _created()


class HousingUnit(Base):
    __tablename__ = "housing_units"

    id: Mapped[uuid.UUID] = _uuid_pk()
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

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()

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

    id: Mapped[uuid.UUID] = _uuid_pk()
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


class Message(Base):
    """One message in a person's inbox (站内信): a company by USCC or a talent by id. One per (source, recipient):
    the source is the event id (or ``reminder:<offer id>`` for a reminder the service makes itself)."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = _uuid_pk()
    recipient_type: Mapped[str] = mapped_column(String(12), nullable=False)
    recipient_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = _created()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("source", "recipient_type", "recipient_id", name="uq_messages_source_recipient"),
        Index("ix_messages_recipient_created", "recipient_type", "recipient_id", "created_at", "id"),
        Index(
            "ix_messages_recipient_unread",
            "recipient_type",
            "recipient_id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )


class MessagePolicyTitle(Base):
    """The policy catalog's titles (from svc-policy's catalog events), so a message names a policy, not its code."""

    __tablename__ = "message_policy_titles"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)


class MessagePreference(Base):
    """Which kinds of message also go by SMS, and the hours no SMS is sent (Asia/Shanghai)."""

    __tablename__ = "message_preferences"

    recipient_type: Mapped[str] = mapped_column(String(12), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sms_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False)
    quiet_start: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_end: Mapped[int | None] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = _created()


class SmsDelivery(Base):
    """The SMS queue and delivery log: one row per message sent by SMS; its id is the gateway's idempotency key."""

    __tablename__ = "sms_deliveries"

    id: Mapped[uuid.UUID] = _uuid_pk()
    message_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    template: Mapped[str] = mapped_column(String(40), nullable=False)
    params: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False)
    phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    phone_masked: Mapped[str] = mapped_column(String(20), nullable=False)
    # queued | sent (accepted by the gateway) | delivered | undelivered (receipts) | failed
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        Index("ix_sms_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'queued'")),
        Index("ix_sms_deliveries_created", "created_at", "id"),
    )


class Activity(Base):
    """An activity (活动): a roadshow, salon, briefing … with a venue, a time in Beijing, a capacity and, after it, its
    outcomes (合作项目数, 商洽数)."""

    __tablename__ = "activities"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="activity_time_order"),
        CheckConstraint("capacity > 0", name="activity_capacity_positive"),
        Index("ix_activities_kind_starts", "kind", "starts_at"),
    )


class ActivityRegistration(Base):
    """One company (USCC), talent or person (name and phone, from 昆e服) registered for an activity; checked in once
    by the activity's signed code — at the door by an officer, or by the attendee's own phone.

    A person is identified by the blind index of their phone (``attendee``), so the same phone registers once; the
    phone itself is encrypted (``attendee_phone_encrypted``) and shown masked."""

    __tablename__ = "activity_registrations"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    registered_at: Mapped[datetime] = _created()
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # officer (scanned at the door) or self (the attendee's phone).
    checked_in_via: Mapped[str | None] = mapped_column(String(12))
    # When the day-before reminder went out (once per registration; the sms-sender's tick).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("activity_id", "attendee_type", "attendee"),)


class ActivityLead(Base):
    """A lead (线索) an officer heard at an activity: a company's need, a cooperation (合作) or a negotiation (商洽).
    A need converts into a service ticket (here) or a technology demand (svc-matching, through the
    ``activity.lead_converted`` event; the demand's id comes back on svc-matching's ``demand.submitted``).
    The content is free text, stored masked (``mask_pii``)."""

    __tablename__ = "activity_leads"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("kind IN ('need', 'cooperation', 'negotiation')", name="activity_lead_kind"),
    )


class NeedDemand(Base):
    """A technology demand svc-matching received (its ``demand.submitted|approved`` events), kept for the need list
    (需求清单) — never read from svc-matching's tables. The title arrives masked by the producer."""

    __tablename__ = "need_demands"

    demand_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    industry_chain: Mapped[str] = mapped_column(String(40), nullable=False)
    technical_field: Mapped[str] = mapped_column(String(40), nullable=False)
    demand_type: Mapped[str] = mapped_column(String(20), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    received_at: Mapped[datetime] = _created()


class PolicyMatch(Base):
    """A policy svc-policy found a company or talent within reach of (its ``reach.gained`` events): the 对策清单's
    policies matched to the company; ``status`` ``lost`` once it fell out of reach (``reach.lost``)."""

    __tablename__ = "policy_matches"

    entity_type: Mapped[str] = mapped_column(String(12), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    policy_title: Mapped[str] = mapped_column(String(200), nullable=False)
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    matched_at: Mapped[datetime] = _created()


class IndicatorReport(Base):
    """A department's value for a reported indicator and quarter (指标报送). A second submission for the same
    quarter is a new revision (the earlier ones stay: the history); a second, different person approves one."""

    __tablename__ = "indicator_reports"

    id: Mapped[uuid.UUID] = _uuid_pk()
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    quarter: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    revision: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(120), nullable=False)
    submitted_name: Mapped[str | None] = mapped_column(String(60))
    submitted_at: Mapped[datetime] = _created()
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


class Platform(Base):
    """A 科创平台 an enterprise hosts (博士后工作站, 工程技术研究中心, 企业技术中心, 新型研发机构, 孵化器, 众创空间 …):
    its kind and level, the recognition (认定) and its expiry, who issued it and the certificate number. It counts
    as held from recognition to expiry unless a yearly review failed (``revoked_on``)."""

    __tablename__ = "platforms"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= recognized_on", name="dates_in_order"),
        Index("ix_platforms_recognized_on", "recognized_on"),
    )


class PlatformReview(Base):
    """One yearly review (年度考核/评估) of a platform: 优秀, 合格 or 不合格 (the platform is no longer held)."""

    __tablename__ = "platform_reviews"

    id: Mapped[uuid.UUID] = _uuid_pk()
    platform_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    result: Mapped[str] = mapped_column(String(10), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    recorded_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("platform_id", "year"),)


class Team(Base):
    """A 创新创业团队 (双创团队): a named team working for a company (by USCC, on file here or not), led by one talent,
    with its program tags (入选的团队计划, e.g. 昆山双创团队). Its members are in ``team_members``."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    lead_talent_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("talents.id"), nullable=False
    )
    programs: Mapped[list[str]] = mapped_column(
        ARRAY(String(60)), nullable=False, server_default=text("'{}'")
    )
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class TeamMember(Base):
    """One member of a team: an existing talent, with the role lead (带头人, exactly one), core (核心成员) or
    member (一般成员). A talent is at most once in a team."""

    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    talent_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("talents.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)

    __table_args__ = (CheckConstraint("role IN ('lead', 'core', 'member')", name="role_known"),)
