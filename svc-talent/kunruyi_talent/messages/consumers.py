"""The events that concern a person, each turned into one message in their inbox (and an SMS per their
preferences). Idempotent twice over: the kit's inbox drops a redelivered event before the handler runs, and a
message's source (the event id) is unique per recipient.

Each model below is this service's own view of the producer's data (checked against the producer's schema by the
contract tests)."""

from __future__ import annotations

from datetime import datetime

from kunruyi_common.clock import local_date
from kunruyi_common.context import app_settings
from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.messages.sender import deadline_text
from kunruyi_talent.messages.service import notify
from kunruyi_talent.models import HousingProject, Message, MessagePolicyTitle
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings

PAYMENT_SETTLED = "kunruyi.disbursement.payment.settled"
PAYMENT_FAILED = "kunruyi.disbursement.payment.failed"
APPLICATION_STATUS_CHANGED = "kunruyi.disbursement.application.status_changed"
TICKET_REPLIED = "kunruyi.talent.ticket.replied"
TICKET_REOPENED = "kunruyi.talent.ticket.reopened"
HOUSING_OFFER_MADE = "kunruyi.talent.housing_offer.made"
HOUSING_OFFER_LAPSED = "kunruyi.talent.housing_offer.lapsed"
CHALLENGE_AWARDED = "kunruyi.matching.challenge.awarded"
DEMAND_ASSIGNED = "kunruyi.matching.demand.assigned"
REACH_GAINED = "kunruyi.policy.reach.gained"
POLICY_PUBLISHED = "kunruyi.policy.policy.published"
POLICY_VERSION_ADDED = "kunruyi.policy.policy.version_added"

# The steps of an application a person is told about (the reviewers' internal stages are not).
APPLICATION_STAGES = {
    "accepted": "受理",
    "public_notice": "公示",
    "approved": "审定",
    "paid": "拨付",
    "rejected": "不予通过",
}


class PaymentNotice(BaseModel):
    disbursement_id: str
    policy_code: str
    entity_type: str
    entity_id: str
    amount_fen: int
    settled_at: datetime | None


class ApplicationNotice(BaseModel):
    application_number: str
    policy_code: str
    applicant_type: str
    applicant_id: str
    status: str
    comment: str | None


class TicketNotice(BaseModel):
    ticket_number: str
    type: str
    department: str
    enterprise_uscc: str | None
    talent_id: str | None = None


class HousingNotice(BaseModel):
    talent_id: str
    project_code: str
    unit_number: str | None = None
    expires_at: datetime | None = None


class ChallengeAwardedNotice(BaseModel):
    challenge_id: str
    title: str
    team_name: str
    publisher_uscc: str | None = None


class DemandAssignedNotice(BaseModel):
    demand_id: str
    enterprise_uscc: str
    agency: str


class ReachNotice(BaseModel):
    policy_code: str
    policy_title: str
    department: str
    entity_type: str
    entity_id: str
    status: str


class PolicyTitle(BaseModel):
    code: str
    title: str


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _recipient(entity_type: str, entity_id: str) -> RecipientRef | None:
    if entity_type in ("enterprise", "talent") and entity_id:
        return RecipientRef(entity_type, entity_id)
    return None


async def _notify(
    session: AsyncSession,
    event: CloudEvent,
    recipient: RecipientRef | None,
    kind: str,
    values: dict[str, str],
) -> None:
    if recipient is None:
        return
    settings = app_settings(Settings)
    await notify(
        session,
        PersonalData.from_settings(settings),
        recipient=recipient,
        kind=kind,
        values=values,
        source=event.id,
        default_quiet=settings.sms_default_quiet_hours,
    )


async def on_policy_title(session: AsyncSession, event: CloudEvent) -> None:
    data = PolicyTitle.model_validate(event.data)
    stmt = insert(MessagePolicyTitle).values(code=data.code, title=data.title[:200])
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["code"], set_={"title": stmt.excluded.title})
    )


async def policy_name(session: AsyncSession, code: str) -> str:
    """The policy's title when the catalog told us, else its code."""
    title = await session.scalar(select(MessagePolicyTitle.title).where(MessagePolicyTitle.code == code))
    return title or code


async def on_payment(session: AsyncSession, event: CloudEvent) -> None:
    data = PaymentNotice.model_validate(event.data)
    at = data.settled_at or event.time
    await _notify(
        session,
        event,
        _recipient(data.entity_type, data.entity_id),
        "payment_settled" if event.type == PAYMENT_SETTLED else "payment_failed",
        {
            "policy": await policy_name(session, data.policy_code),
            "amount": yuan(data.amount_fen),
            "date": deadline_text(at).split("日")[0] + "日",
        },
    )


async def on_application_status(session: AsyncSession, event: CloudEvent) -> None:
    data = ApplicationNotice.model_validate(event.data)
    recipient = _recipient(data.applicant_type, data.applicant_id)
    values = {
        "number": data.application_number,
        "policy": await policy_name(session, data.policy_code),
        "comment": data.comment or "",
    }
    if data.status == "supplement_required":
        await _notify(session, event, recipient, "application_supplement", values)
    elif data.status in APPLICATION_STAGES:
        values["stage"] = APPLICATION_STAGES[data.status]
        values["comment"] = f"意见：{data.comment}" if data.comment else ""
        await _notify(session, event, recipient, "application_status", values)


async def on_ticket_replied(session: AsyncSession, event: CloudEvent) -> None:
    """A reply, or the requester's own reopen (the inbox confirms it went back to the department)."""
    data = TicketNotice.model_validate(event.data)
    if data.talent_id:
        recipient: RecipientRef | None = RecipientRef("talent", data.talent_id)
    elif data.enterprise_uscc:
        recipient = RecipientRef("enterprise", data.enterprise_uscc)
    else:
        recipient = None  # an anonymous requester follows the ticket with its number and query code
    await _notify(
        session,
        event,
        recipient,
        "ticket_replied" if event.type == TICKET_REPLIED else "ticket_reopened",
        {"number": data.ticket_number, "type": data.type, "department": data.department},
    )


async def on_housing_offer(session: AsyncSession, event: CloudEvent) -> None:
    data = HousingNotice.model_validate(event.data)
    project = await session.scalar(
        select(HousingProject.name).where(HousingProject.code == data.project_code)
    )
    values = {
        "project": project or data.project_code,
        "unit": data.unit_number or "",
        "deadline": deadline_text(data.expires_at) if data.expires_at else "",
    }
    kind = "housing_offer" if event.type == HOUSING_OFFER_MADE else "housing_offer_lapsed"
    await _notify(session, event, RecipientRef("talent", data.talent_id), kind, values)


async def on_challenge_awarded(session: AsyncSession, event: CloudEvent) -> None:
    data = ChallengeAwardedNotice.model_validate(event.data)
    recipient = RecipientRef("enterprise", data.publisher_uscc) if data.publisher_uscc else None
    await _notify(
        session, event, recipient, "challenge_awarded", {"title": data.title, "team": data.team_name}
    )


async def on_demand_assigned(session: AsyncSession, event: CloudEvent) -> None:
    data = DemandAssignedNotice.model_validate(event.data)
    await _notify(
        session,
        event,
        RecipientRef("enterprise", data.enterprise_uscc),
        "demand_assigned",
        {"agency": data.agency},
    )


async def on_reach_gained(session: AsyncSession, event: CloudEvent) -> None:
    """政策早知道, one message a day: a company gaining 高企 comes into reach of a dozen policies at once, and a
    dozen messages (and SMS) would bury the one that matters. The day's first policy makes the message (and its SMS,
    when the person chose SMS for it); each later one that day is added to it as a line and makes it unread again.
    A redelivered event finds its policy's line already there and changes nothing."""
    await on_reach_gained_many(session, [event])


async def on_reach_gained_many(session: AsyncSession, events: list[CloudEvent]) -> None:
    """A fetch of reach events (a registered talent comes into reach of ten policies at once), each day's message of
    a recipient written once with all of its new lines, as :func:`on_reach_gained` would one by one. Recipients in
    a fixed order, so replicas applying overlapping fetches lock their messages in the same order."""
    digests: dict[tuple[str, str, str], list[ReachNotice]] = {}
    for event in events:
        data = ReachNotice.model_validate(event.data)
        recipient = _recipient(data.entity_type, data.entity_id)
        if recipient is not None:
            source = f"policy-in-reach:{local_date(event.time).isoformat()}"
            digests.setdefault((recipient.type, recipient.id, source), []).append(data)
    settings = app_settings(Settings)
    for recipient_type, recipient_id, source in sorted(digests):
        notices = digests[(recipient_type, recipient_id, source)]
        recipient = RecipientRef(recipient_type, recipient_id)
        created = await notify(
            session,
            PersonalData.from_settings(settings),
            recipient=recipient,
            kind="policy_in_reach",
            values=_reach_values(notices[0]),
            source=source,
            default_quiet=settings.sms_default_quiet_hours,
        )
        later = notices[1:] if created is not None else notices
        if later:
            await _add_to_digest(session, recipient, source, later)


def _reach_values(data: ReachNotice) -> dict[str, str]:
    return {
        "policy": data.policy_title,
        "code": data.policy_code,
        "department": data.department,
        "status": "符合" if data.status == "eligible" else "可能符合（需工作人员确认）",
    }


async def _add_to_digest(
    session: AsyncSession, recipient: RecipientRef, source: str, notices: list[ReachNotice]
) -> None:
    """The day's message gains a line per policy it does not name yet, its title counts them, and it is unread."""
    digest = await session.scalar(
        select(Message)
        .where(
            Message.source == source,
            Message.recipient_type == recipient.type,
            Message.recipient_id == recipient.id,
        )
        .with_for_update()
    )
    if digest is None:
        return
    body = digest.body
    for data in notices:
        if f"「{data.policy_title}」" not in body:
            values = _reach_values(data)
            body = f"{body}\n「{data.policy_title}」（{data.department}，{values['status']}）"
    if body == digest.body:
        return
    digest.body = body
    count = sum(1 for row in body.splitlines() if row.startswith("「"))
    digest.title = f"您有 {count} 项政策可以申报"
    digest.link = "/m/policies"
    digest.read_at = None


DISBURSEMENT_HANDLERS = {
    PAYMENT_SETTLED: on_payment,
    PAYMENT_FAILED: on_payment,
    APPLICATION_STATUS_CHANGED: on_application_status,
}
DISBURSEMENT_SCHEMAS: dict[str, type[BaseModel]] = {
    PAYMENT_SETTLED: PaymentNotice,
    PAYMENT_FAILED: PaymentNotice,
    APPLICATION_STATUS_CHANGED: ApplicationNotice,
}
TALENT_HANDLERS = {
    TICKET_REPLIED: on_ticket_replied,
    TICKET_REOPENED: on_ticket_replied,
    HOUSING_OFFER_MADE: on_housing_offer,
    HOUSING_OFFER_LAPSED: on_housing_offer,
}
TALENT_SCHEMAS: dict[str, type[BaseModel]] = {
    TICKET_REPLIED: TicketNotice,
    TICKET_REOPENED: TicketNotice,
    HOUSING_OFFER_MADE: HousingNotice,
    HOUSING_OFFER_LAPSED: HousingNotice,
}
MATCHING_HANDLERS = {CHALLENGE_AWARDED: on_challenge_awarded, DEMAND_ASSIGNED: on_demand_assigned}
MATCHING_SCHEMAS: dict[str, type[BaseModel]] = {
    CHALLENGE_AWARDED: ChallengeAwardedNotice,
    DEMAND_ASSIGNED: DemandAssignedNotice,
}
POLICY_HANDLERS = {
    REACH_GAINED: on_reach_gained,
    POLICY_PUBLISHED: on_policy_title,
    POLICY_VERSION_ADDED: on_policy_title,
}
POLICY_BATCH_HANDLERS = {REACH_GAINED: on_reach_gained_many}
POLICY_SCHEMAS: dict[str, type[BaseModel]] = {
    REACH_GAINED: ReachNotice,
    POLICY_PUBLISHED: PolicyTitle,
    POLICY_VERSION_ADDED: PolicyTitle,
}
