"""The inbox: one message per (source, recipient), and an SMS queued for it when the recipient wants that kind by
SMS and has a phone on file. Services never commit; the caller's unit of work (request, consumer, periodic task)
does."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from kunruyi_common.clock import local_now
from kunruyi_common.crypto import mask_phone
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.messages import repository
from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.messages.exceptions import InvalidQuietHours, MessageNotFound
from kunruyi_talent.messages.metrics import MESSAGES_CREATED
from kunruyi_talent.messages.schemas import (
    KindOut,
    MessageOut,
    PreferencesIn,
    PreferencesOut,
    QuietHours,
)
from kunruyi_talent.messages.templates import DEFAULT_QUIET_HOURS, TEMPLATES, render
from kunruyi_talent.models import Message, SmsDelivery
from kunruyi_talent.pii import PersonalData

logger = logging.getLogger("kunruyi.talent.messages")

DEFAULT_SMS_KINDS = [t.kind for t in TEMPLATES.values() if t.sms_by_default]
SMS_COLUMN = "sms_deliveries.phone"


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        kind=message.kind,
        title=message.title,
        body=message.body,
        link=message.link,
        created_at=message.created_at,
        read_at=message.read_at,
        read=message.read_at is not None,
    )


# SMS providers take template parameters of at most 35 characters.
SMS_PARAM_MAX = 35


def sms_param(value: str) -> str:
    return value if len(value) <= SMS_PARAM_MAX else value[: SMS_PARAM_MAX - 1] + "…"


def in_quiet_hours(moment: datetime, quiet: tuple[int, int] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    hour = local_now(moment).hour
    return start <= hour < end if start < end else hour >= start or hour < end


def after_quiet_hours(moment: datetime, quiet: tuple[int, int] | None) -> datetime:
    """``moment`` itself, or the end of the quiet hours it falls in (Asia/Shanghai)."""
    if not in_quiet_hours(moment, quiet):
        return moment
    assert quiet is not None
    local = local_now(moment)
    end = local.replace(hour=quiet[1], minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


async def _preferences(
    session: AsyncSession, recipient: RecipientRef, default_quiet: tuple[int, int] | None
) -> tuple[list[str], tuple[int, int] | None]:
    row = await repository.preference(session, recipient)
    if row is None:
        return list(DEFAULT_SMS_KINDS), default_quiet
    quiet = (
        (row.quiet_start, row.quiet_end)
        if row.quiet_start is not None and row.quiet_end is not None
        else None
    )
    return list(row.sms_kinds), quiet


async def notify(
    session: AsyncSession,
    personal_data: PersonalData,
    *,
    recipient: RecipientRef,
    kind: str,
    values: dict[str, str],
    source: str,
    default_quiet: tuple[int, int] | None = DEFAULT_QUIET_HOURS,
    now: datetime | None = None,
) -> uuid.UUID | None:
    """Put the message in the recipient's inbox and queue its SMS; None when ``source`` already did (a redelivery)."""
    template = TEMPLATES[kind]
    now = now or datetime.now(UTC)
    message_id = await repository.insert_message(
        session,
        {
            "recipient_type": recipient.type,
            "recipient_id": recipient.id,
            "kind": kind,
            "title": render(template.title, values)[:200],
            "body": render(template.body, values),
            "link": render(template.link, values) if template.link else None,
            "source": source,
        },
    )
    if message_id is None:
        logger.info("message for %s already in the inbox", source)
        return None
    MESSAGES_CREATED.labels(kind).inc()
    sms_kinds, quiet = await _preferences(session, recipient, default_quiet)
    if kind not in sms_kinds:
        return message_id
    found = await repository.encrypted_phone(session, recipient)
    if found is None:
        return message_id
    phone = personal_data.decrypt(*found)
    session.add(
        SmsDelivery(
            message_id=message_id,
            kind=kind,
            template=template.sms_code,
            params={name: sms_param(values[name]) for name in template.sms_params},
            phone_encrypted=personal_data.encrypt(phone, SMS_COLUMN),
            phone_masked=mask_phone(phone),
            status="queued",
            attempts=0,
            next_attempt_at=after_quiet_hours(now, quiet),
        )
    )
    await session.flush()
    return message_id


async def mark_read(session: AsyncSession, recipient: RecipientRef, message_id: uuid.UUID) -> Message:
    message = await repository.own_message(session, recipient, message_id)
    if message is None:
        raise MessageNotFound("消息不存在", field="message_id")
    if message.read_at is None:
        message.read_at = datetime.now(UTC)
        await session.flush()
    return message


async def preferences_out(
    session: AsyncSession, recipient: RecipientRef, default_quiet: tuple[int, int] | None
) -> PreferencesOut:
    sms_kinds, quiet = await _preferences(session, recipient, default_quiet)
    return PreferencesOut(
        sms_kinds=sms_kinds,
        quiet_hours=QuietHours(start=quiet[0], end=quiet[1]) if quiet else None,
        kinds=[KindOut(kind=t.kind, label=t.label, sms=t.kind in sms_kinds) for t in TEMPLATES.values()],
    )


async def set_preferences(
    session: AsyncSession, recipient: RecipientRef, body: PreferencesIn
) -> PreferencesOut:
    quiet = None
    if body.quiet_hours is not None:
        if body.quiet_hours.start == body.quiet_hours.end:
            raise InvalidQuietHours("免打扰开始和结束不能相同", field="quiet_hours")
        quiet = (body.quiet_hours.start, body.quiet_hours.end)
    chosen: set[str] = set(body.sms_kinds)
    kinds = [k for k in TEMPLATES if k in chosen]
    await repository.save_preference(session, recipient, kinds, quiet)
    return await preferences_out(session, recipient, None)
