"""The SMS sender: a periodic task of the kit (exclusive — once per interval across replicas,
sooner while busy) that works the queue.

Each due delivery is sent with its own id as the gateway's idempotency key, so a retry after a lost answer, a
crash between the send and the commit, or a second replica never makes a second SMS. A refused number or template
fails the delivery at once; rate limits, 5xx and transport errors are retried with back-off doubling from
``sms_backoff_s`` (a 429's ``Retry-After`` when longer) up to ``sms_max_attempts``, then the delivery is failed
and shows in the staff delivery log. Quiet hours push a send to their end. The message in the inbox stays
whatever happens to its SMS.

The same task reminds the holder of a housing offer ``housing_reminder_hours`` before it lapses (one reminder per
offer: the message's source is ``reminder:<offer id>``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from kunruyi_common.clock import LOCAL_TZ, local_now
from kunruyi_common.context import app_settings
from kunruyi_common.periodic import start_periodic
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.messages import repository
from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.messages.metrics import SMS_SENDS
from kunruyi_talent.messages.service import SMS_COLUMN, after_quiet_hours, notify
from kunruyi_talent.messages.sms_client import SmsClient
from kunruyi_talent.messages.templates import check_templates
from kunruyi_talent.models import (
    Activity,
    ActivityRegistration,
    HousingApplication,
    HousingOffer,
    HousingProject,
    HousingUnit,
)
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings

logger = logging.getLogger("kunruyi.talent.sms")


def backoff(settings: Settings, attempts: int, retry_after_s: float | None) -> timedelta:
    delay = settings.sms_backoff_s * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=max(delay, retry_after_s or 0.0))


async def send_due(session: AsyncSession, now: datetime | None = None) -> int:
    """One pass over the due deliveries; returns how many were tried."""
    settings = app_settings(Settings)
    personal_data = PersonalData.from_settings(settings)
    client = SmsClient(settings.sms_url, sign_name=settings.sms_sign_name, timeout_s=settings.sms_timeout_s)
    now = now or datetime.now(UTC)
    due = await repository.due_deliveries(session, now, settings.sms_batch_size)
    for delivery in due:
        window = await repository.quiet_hours_of(
            session, delivery.message_id, settings.sms_default_quiet_hours
        )
        later = after_quiet_hours(now, window)
        if later > now:
            delivery.next_attempt_at = later
            continue
        result = await client.send(
            idempotency_key=str(delivery.id),
            phone=personal_data.decrypt(delivery.phone_encrypted, SMS_COLUMN),
            template_code=delivery.template,
            params=dict(delivery.params),
        )
        delivery.attempts += 1
        delivery.updated_at = now
        if result.outcome == "sent":
            delivery.status = "sent"
            delivery.sent_at = now
            delivery.provider_message_id = result.provider_message_id
            delivery.last_error = None
        elif result.outcome == "rejected" or delivery.attempts >= settings.sms_max_attempts:
            delivery.status = "failed"
            delivery.last_error = result.error
            logger.warning(
                "SMS %s to %s failed after %d attempt(s): %s",
                delivery.id,
                delivery.phone_masked,
                delivery.attempts,
                result.error,
            )
        else:
            delivery.last_error = result.error
            delivery.next_attempt_at = now + backoff(settings, delivery.attempts, result.retry_after_s)
        SMS_SENDS.labels(result.outcome if delivery.status != "failed" else "failed").inc()
    await session.flush()
    return len(due)


async def check_receipts(session: AsyncSession, now: datetime | None = None) -> int:
    """Ask the gateway for the receipts of SMS sent in the last day; returns how many turned delivered or not."""
    settings = app_settings(Settings)
    client = SmsClient(settings.sms_url, sign_name=settings.sms_sign_name, timeout_s=settings.sms_timeout_s)
    now = now or datetime.now(UTC)
    settled = 0
    for delivery in await repository.awaiting_receipt(
        session, now - timedelta(days=1), settings.sms_batch_size
    ):
        assert delivery.provider_message_id is not None
        status = await client.receipt(delivery.provider_message_id)
        if status is not None:
            delivery.status = status
            delivery.updated_at = now
            settled += 1
    await session.flush()
    return settled


async def remind_housing_offers(session: AsyncSession, now: datetime | None = None) -> int:
    """A reminder for each pending offer that lapses within ``housing_reminder_hours`` (once per offer)."""
    settings = app_settings(Settings)
    now = now or datetime.now(UTC)
    rows = (
        await session.execute(
            select(HousingOffer, HousingApplication.talent_id, HousingProject.name, HousingUnit.unit_number)
            .join(HousingApplication, HousingApplication.id == HousingOffer.application_id)
            .join(HousingProject, HousingProject.id == HousingApplication.project_id)
            .join(HousingUnit, HousingUnit.id == HousingOffer.unit_id)
            .where(
                HousingOffer.status == "pending",
                HousingOffer.expires_at > now,
                HousingOffer.expires_at <= now + timedelta(hours=settings.housing_reminder_hours),
            )
        )
    ).all()
    made = 0
    personal_data = PersonalData.from_settings(settings)
    for offer, talent_id, project, unit in rows:
        created = await notify(
            session,
            personal_data,
            recipient=RecipientRef("talent", str(talent_id)),
            kind="housing_offer_reminder",
            values={"project": project, "unit": unit, "deadline": deadline_text(offer.expires_at)},
            source=f"reminder:{offer.id}",
            default_quiet=settings.sms_default_quiet_hours,
            now=now,
        )
        made += created is not None
    return made


async def remind_activities(session: AsyncSession, now: datetime | None = None) -> int:
    """The day before an activity (Beijing date), a reminder to each registration not yet reminded: a company's or
    talent's inbox (and SMS per their preferences); a person registered with name and phone by SMS (their phone's
    blind index is the recipient). Once per registration: ``reminded_at`` is set in the same transaction, and the
    message's source ``activity-reminder:<registration id>`` is unique."""
    settings = app_settings(Settings)
    now = now or datetime.now(UTC)
    tomorrow = local_now(now).date() + timedelta(days=1)
    day_start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=LOCAL_TZ)
    rows = (
        await session.execute(
            select(ActivityRegistration, Activity)
            .join(Activity, Activity.id == ActivityRegistration.activity_id)
            .where(
                ActivityRegistration.reminded_at.is_(None),
                Activity.starts_at >= day_start,
                Activity.starts_at < day_start + timedelta(days=1),
            )
            .with_for_update(of=ActivityRegistration, skip_locked=True)
        )
    ).all()
    personal_data = PersonalData.from_settings(settings)
    made = 0
    for registration, activity in rows:
        created = await notify(
            session,
            personal_data,
            recipient=RecipientRef(registration.attendee_type, registration.attendee),
            kind="activity_reminder",
            values={
                "kind": activity.kind,
                "title": activity.title,
                "starts": deadline_text(activity.starts_at),
                "venue": activity.venue,
            },
            source=f"activity-reminder:{registration.id}",
            default_quiet=settings.sms_default_quiet_hours,
            now=now,
        )
        registration.reminded_at = now
        made += created is not None
    await session.flush()
    return made


def deadline_text(moment: datetime) -> str:
    local = local_now(moment)
    return f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


async def tick(session: AsyncSession) -> int:
    """Reminders, then the due sends, then receipts; returns the work that may have more behind it (the next tick
    starts at once then), never the receipts still unknown."""
    reminded = await remind_housing_offers(session) + await remind_activities(session)
    sent = await send_due(session)
    await check_receipts(session)
    return reminded + sent


async def start(app: FastAPI) -> None:
    check_templates()
    settings: Settings = app.state.settings
    start_periodic(
        app,
        job="sms-sender",
        tick=tick,
        interval_s=settings.sms_send_interval_s,
        first_delay_s=0,
        again_when_busy=True,
    )
