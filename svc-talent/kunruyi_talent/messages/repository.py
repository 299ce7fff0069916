"""The inbox's queries: messages, preferences and SMS deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kunruyi_common.pagination import newest_first
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.models import (
    ActivityRegistration,
    Enterprise,
    EnterpriseContact,
    Message,
    MessagePreference,
    SmsDelivery,
    Talent,
)


async def insert_message(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """The new message's id, or None when this source already gave this recipient a message."""
    stmt = (
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_messages_source_recipient")
        .returning(Message.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(
    session: AsyncSession, recipient: RecipientRef, *, unread_only: bool, cursor: str | None, limit: int
) -> list[Message]:
    stmt = select(Message).where(
        Message.recipient_type == recipient.type, Message.recipient_id == recipient.id
    )
    if unread_only:
        stmt = stmt.where(Message.read_at.is_(None))
    return list(
        (await session.execute(newest_first(stmt, Message.created_at, Message.id, cursor, limit))).scalars()
    )


async def unread_count(session: AsyncSession, recipient: RecipientRef) -> int:
    return (
        await session.execute(
            select(func.count()).where(
                Message.recipient_type == recipient.type,
                Message.recipient_id == recipient.id,
                Message.read_at.is_(None),
            )
        )
    ).scalar_one()


async def own_message(
    session: AsyncSession, recipient: RecipientRef, message_id: uuid.UUID
) -> Message | None:
    return (
        await session.execute(
            select(Message).where(
                Message.id == message_id,
                Message.recipient_type == recipient.type,
                Message.recipient_id == recipient.id,
            )
        )
    ).scalar_one_or_none()


async def mark_all_read(session: AsyncSession, recipient: RecipientRef, now: datetime) -> int:
    result = await session.execute(
        update(Message)
        .where(
            Message.recipient_type == recipient.type,
            Message.recipient_id == recipient.id,
            Message.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def preference(session: AsyncSession, recipient: RecipientRef) -> MessagePreference | None:
    return await session.get(MessagePreference, (recipient.type, recipient.id))


async def save_preference(
    session: AsyncSession, recipient: RecipientRef, sms_kinds: list[str], quiet: tuple[int, int] | None
) -> None:
    values = {
        "sms_kinds": sms_kinds,
        "quiet_start": quiet[0] if quiet else None,
        "quiet_end": quiet[1] if quiet else None,
        "updated_at": func.now(),
    }
    stmt = insert(MessagePreference).values(
        recipient_type=recipient.type, recipient_id=recipient.id, **values
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["recipient_type", "recipient_id"], set_=values)
    )
    await session.flush()
    session.expire_all()


async def encrypted_phone(session: AsyncSession, recipient: RecipientRef) -> tuple[str, str] | None:
    """(ciphertext, column label) of the phone an SMS goes to: the talent's own, the company's first contact, or a
    person's who registered for an activity with name and phone (``person``: the phone's blind index)."""
    if recipient.type == "person":
        phone = await session.scalar(
            select(ActivityRegistration.attendee_phone_encrypted)
            .where(
                ActivityRegistration.attendee_type == "person", ActivityRegistration.attendee == recipient.id
            )
            .limit(1)
        )
        return (phone, "activity_registrations.attendee_phone") if phone else None
    if recipient.type == "talent":
        try:
            talent_id = uuid.UUID(recipient.id)
        except ValueError:
            return None
        phone = (
            await session.execute(select(Talent.phone_encrypted).where(Talent.id == talent_id))
        ).scalar_one_or_none()
        return (phone, "talents.phone") if phone else None
    phone = (
        await session.execute(
            select(EnterpriseContact.phone_encrypted)
            .join(Enterprise, Enterprise.id == EnterpriseContact.enterprise_id)
            .where(Enterprise.uscc == recipient.id)
            .order_by(EnterpriseContact.name, EnterpriseContact.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return (phone, "enterprise_contacts.phone") if phone else None


async def deliveries_page(
    session: AsyncSession, *, status: str | None, kind: str | None, cursor: str | None, limit: int
) -> list[SmsDelivery]:
    stmt = select(SmsDelivery)
    if status:
        stmt = stmt.where(SmsDelivery.status == status)
    if kind:
        stmt = stmt.where(SmsDelivery.kind == kind)
    return list(
        (
            await session.execute(newest_first(stmt, SmsDelivery.created_at, SmsDelivery.id, cursor, limit))
        ).scalars()
    )


async def delivery_counts(
    session: AsyncSession, date_from: datetime | None, date_to: datetime | None
) -> list[tuple[str, str, int]]:
    stmt = select(SmsDelivery.kind, SmsDelivery.status, func.count()).group_by(
        SmsDelivery.kind, SmsDelivery.status
    )
    if date_from is not None:
        stmt = stmt.where(SmsDelivery.created_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(SmsDelivery.created_at < date_to)
    return [(k, s, int(n)) for k, s, n in (await session.execute(stmt)).all()]


async def due_deliveries(session: AsyncSession, now: datetime, limit: int) -> list[SmsDelivery]:
    return list(
        (
            await session.execute(
                select(SmsDelivery)
                .where(SmsDelivery.status == "queued", SmsDelivery.next_attempt_at <= now)
                .order_by(SmsDelivery.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )


async def quiet_hours_of(
    session: AsyncSession, message_id: uuid.UUID, default: tuple[int, int] | None
) -> tuple[int, int] | None:
    """The quiet hours of the message's recipient: theirs (None when they chose none), else ``default``."""
    row = (
        await session.execute(
            select(MessagePreference.quiet_start, MessagePreference.quiet_end)
            .join(
                Message,
                (Message.recipient_type == MessagePreference.recipient_type)
                & (Message.recipient_id == MessagePreference.recipient_id),
            )
            .where(Message.id == message_id)
        )
    ).first()
    if row is None:
        return default
    if row[0] is None or row[1] is None:
        return None
    return int(row[0]), int(row[1])


async def awaiting_receipt(session: AsyncSession, since: datetime, limit: int) -> list[SmsDelivery]:
    """Sent (accepted by the gateway) since ``since`` and without a delivery receipt yet."""
    return list(
        (
            await session.execute(
                select(SmsDelivery)
                .where(
                    SmsDelivery.status == "sent",
                    SmsDelivery.provider_message_id.is_not(None),
                    SmsDelivery.sent_at >= since,
                )
                .order_by(SmsDelivery.sent_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
