"""The message centre: messages, the policy titles they name, preferences and SMS deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column, uuid_pk


class Message(Base):
    """One message in a person's inbox (站内信): a company by USCC or a talent by id. One per (source, recipient):
    the source is the event id (or ``reminder:<offer id>`` for a reminder the service makes itself)."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = uuid_pk()
    recipient_type: Mapped[str] = mapped_column(String(12), nullable=False)
    recipient_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = now_column()
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
    updated_at: Mapped[datetime] = now_column()


class SmsDelivery(Base):
    """The SMS queue and delivery log: one row per message sent by SMS; its id is the gateway's idempotency key."""

    __tablename__ = "sms_deliveries"

    id: Mapped[uuid.UUID] = uuid_pk()
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
    created_at: Mapped[datetime] = now_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = now_column()

    __table_args__ = (
        Index("ix_sms_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'queued'")),
        Index("ix_sms_deliveries_created", "created_at", "id"),
    )
