"""The one-stop service desk (一站式, 诉求): tickets routed to a department and a named officer, with a deadline
in working days, a recorded life cycle, overdue detection and the reply/solve statistics the city reports."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_date
from kunruyi_common.crypto import mask_phone
from kunruyi_common.errors import InvalidTransition, OtherDepartment
from kunruyi_common.events import add_event
from kunruyi_common.pii_text import ProtectedText, has_pii, mask_pii, protect_text, reveal_text
from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent import health_checks
from kunruyi_talent.access import actor_of, talent_self_id
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.events import (
    TicketFacts,
    TicketJointHandlingStarted,
    TicketOverdue,
    TicketPartAnswered,
    TicketRated,
    TicketReopened,
    TicketReplied,
    TicketResolved,
    TicketSubmitted,
    TicketTransferred,
)
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import Talent, Ticket, TicketPart, TicketReveal, TicketTransition
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk.exceptions import (
    AlreadyCoHandling,
    AlreadyRated,
    AlreadyReopened,
    JointHandlingInProgress,
    NoRequesterPhone,
    NotACoHandler,
    NotYetReplied,
    PartAlreadyAnswered,
    PartsUnanswered,
    ReopenNeedsDissatisfied,
    ReopenWindowClosed,
    ReplyRequired,
    RequesterPhoneRequired,
    SameDepartment,
    TicketForbidden,
    TicketNotFound,
    TicketNotOpenForHandling,
    UnknownDepartment,
    UnknownTicketType,
)
from kunruyi_talent.servicedesk.routing import (
    OPEN_STATUSES,
    STATUS_LABELS,
    TICKET_TYPES,
    TRANSITIONS,
    VISIT_CHANNEL,
    add_working_days,
)
from kunruyi_talent.servicedesk.schemas import TicketCreate
from kunruyi_talent.settings import Settings

SOURCE = "talent"
PHONE_COLUMN = "tickets.requester_phone"


def _text_ad(column: str, row: uuid.UUID) -> bytes:
    # A transition's comment is bound to its ticket (its own id is not known before the insert).
    return f"{column}:{row}".encode()


def protect(pii: PersonalData | None, text: str, column: str, row: uuid.UUID) -> ProtectedText:
    """Free text as stored: masked in clear, the original encrypted when anything was masked."""
    if pii is None:
        if has_pii(text):
            raise ValueError(f"{column} holds personal data: protecting it needs the PII key")
        return ProtectedText(text, None)
    return protect_text(text, pii.cipher, associated_data=_text_ad(column, row))


def reveal(
    pii: PersonalData, masked: str | None, encrypted: str | None, column: str, row: uuid.UUID
) -> str | None:
    if masked is None:
        return None
    return reveal_text(masked, encrypted, pii.cipher, associated_data=_text_ad(column, row))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def facts(ticket: Ticket) -> dict[str, object]:
    return {
        "ticket_number": ticket.ticket_number,
        "type": ticket.type,
        "channel": ticket.channel,
        "department": ticket.department,
        "officer": ticket.officer,
        "status": ticket.status,
        "enterprise_uscc": ticket.enterprise_uscc,
        "service_code": ticket.service_code,
        "campaign_id": str(ticket.campaign_id) if ticket.campaign_id else None,
        "talent_id": str(ticket.talent_id) if ticket.talent_id else None,
    }


async def _emit(session: AsyncSession, model: type[TicketFacts], ticket: Ticket) -> None:
    await add_event(session, SOURCE, model(**facts(ticket)), subject=ticket.ticket_number)


async def pick_officer(session: AsyncSession, settings: Settings, department: str) -> str:
    """The least-loaded officer of the department (fewest open tickets); ties go to the first in the list."""
    officers = settings.department_officers.get(department) or []
    if not officers:
        return f"{department}值班员"
    # Tickets filed at the same moment would all count the same loads and land on one officer: serialise the
    # choice per department until this unit of work commits (the new ticket is then counted by the next one).
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"ticket-officer:{department}"}
    )
    loads = dict(
        (
            await session.execute(
                select(Ticket.officer, func.count())
                .where(Ticket.department == department, Ticket.status.in_(OPEN_STATUSES))
                .group_by(Ticket.officer)
            )
        ).all()
    )
    return min(officers, key=lambda name: (loads.get(name, 0), officers.index(name)))


async def submit(
    session: AsyncSession,
    settings: Settings,
    pii: PersonalData,
    data: TicketCreate,
    principal: Principal | None,
    *,
    now: datetime | None = None,
    visit: tuple[uuid.UUID, uuid.UUID] | None = None,
    channel: str | None = None,
) -> tuple[Ticket, str]:
    """``visit``: (campaign id, visit id) of a problem raised on a campaign visit (channel ``visit``); ``channel``:
    where the service itself took the problem (``activity``: a lead heard at an activity)."""
    if data.type not in TICKET_TYPES:
        raise UnknownTicketType(
            f"诉求类型“{data.type}”不存在，可选：{'、'.join(TICKET_TYPES)}",
            field="type",
        )
    channel = channel or data.channel
    enterprise_uscc = data.enterprise_uscc
    talent_id = data.talent_id
    if principal is not None and principal.kind == "public":
        # A QR-page caller can only file for the code's own target and only through the QR channel.
        channel = "qr"
        # Nor link the ticket to a talent other than themselves.
        talent_id = talent_self_id(principal)
        if talent_id is None and principal.target:
            enterprise_uscc = principal.target
    if enterprise_uscc:
        enterprise_uscc = enterprise_service.validate_uscc(enterprise_uscc, "enterprise_uscc")
    if talent_id is not None and await session.get(Talent, talent_id) is None:
        raise UnknownTalent("人才档案不存在", field="talent_id")
    phone = (
        enterprise_service.validate_phone(data.requester_phone, "requester_phone")
        if data.requester_phone
        else None
    )
    if talent_id is not None:
        kind = "talent"
    elif enterprise_uscc:
        kind = "enterprise"
    else:
        kind = "person"
        if phone is None:
            raise RequesterPhoneRequired(
                "个人提交诉求须留手机号，以便专人联系",
                field="requester_phone",
            )
    department, days = TICKET_TYPES[data.type]
    now = now or datetime.now(UTC)
    submitted_on = local_date(now)
    deadline = add_working_days(submitted_on, days, settings.holidays, settings.makeup_workdays)
    seq = await session.scalar(text("SELECT nextval('ticket_number_seq')"))
    number = f"KS{submitted_on:%Y%m%d}{int(seq or 0):06d}"
    secret = secrets.token_urlsafe(12)
    ticket_id = uuid.uuid4()
    title = protect(pii, data.title.strip(), "tickets.title", ticket_id)
    description = protect(pii, data.description, "tickets.description", ticket_id)
    ticket = Ticket(
        id=ticket_id,
        ticket_number=number,
        access_secret_hash=hash_secret(secret),
        type=data.type,
        title=title.masked,
        title_encrypted=title.encrypted,
        description=description.masked,
        description_encrypted=description.encrypted,
        channel=channel,
        requester_kind=kind,
        # A name is free text too: a number typed into it is kept masked only (nobody needs it back).
        requester_name=(mask_pii(data.requester_name.strip()) or None) if data.requester_name else None,
        requester_phone_encrypted=pii.encrypt(phone, PHONE_COLUMN) if phone else None,
        requester_phone_masked=mask_phone(phone) if phone else None,
        talent_id=talent_id,
        enterprise_uscc=enterprise_uscc,
        service_code=data.service_code,
        department=department,
        officer=await pick_officer(session, settings, department),
        status="submitted",
        deadline=deadline,
        submitted_at=now,
    )
    if visit is not None:
        ticket.channel = VISIT_CHANNEL
        ticket.campaign_id, ticket.visit_id = visit
    session.add(ticket)
    session.add(
        TicketTransition(
            ticket_id=ticket.id,
            from_status=None,
            to_status="submitted",
            actor=actor_of(principal),
            comment=None,
            at=now,
        )
    )
    await session.flush()
    await _emit(session, TicketSubmitted, ticket)
    return ticket, secret


async def get_by_number(session: AsyncSession, number: str, *, for_update: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.ticket_number == number)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = await session.scalar(stmt)
    if ticket is None:
        raise TicketNotFound(f"工单 {number} 不存在")
    return ticket


async def get_for_requester(
    session: AsyncSession, number: str, secret: str, *, for_update: bool = False
) -> Ticket:
    stmt = select(Ticket).where(Ticket.ticket_number == number)
    ticket = await session.scalar(stmt.with_for_update() if for_update else stmt)
    # The same answer for a wrong number and a wrong secret, so numbers cannot be probed.
    if ticket is None or not hmac.compare_digest(ticket.access_secret_hash, hash_secret(secret)):
        raise TicketNotFound("工单号或查询密码不正确")
    return ticket


def filed_by(principal: Principal, ticket: Ticket) -> bool:
    """The ticket is the signed-in caller's own: the talent it was filed by (or for), or the company signed in
    through 苏商通 it was filed for. A talent's ticket stays the talent's even when it names the company they work
    for: that company neither follows, rates nor reopens it."""
    self_id = talent_self_id(principal)
    if self_id is not None:
        return ticket.talent_id == self_id
    own_uscc = principal.signed_in_enterprise
    return own_uscc is not None and ticket.enterprise_uscc == own_uscc and ticket.talent_id is None


def company_tickets_clause(uscc: str) -> ColumnElement[bool]:
    """:func:`filed_by` of a signed-in company, as SQL."""
    return and_(Ticket.enterprise_uscc == uscc, Ticket.talent_id.is_(None))


async def ensure_staff_may_view(session: AsyncSession, principal: Principal, ticket: Ticket) -> None:
    """The owning department handles a ticket; a co-handling department may read it too (to answer its part)."""
    if principal.kind == "staff" and principal.department and principal.department != ticket.department:
        if await part_of(session, ticket, principal.department) is not None:
            return
    ensure_staff_may_handle(principal, ticket)


def ensure_staff_may_handle(principal: Principal, ticket: Ticket) -> None:
    if principal.kind != "staff":
        raise TicketForbidden("仅工作人员可办理工单")
    if not principal.acts_for(ticket.department):
        raise OtherDepartment(f"该工单属于{ticket.department}，您只能查看本部门的工单")


async def transitions(session: AsyncSession, ticket: Ticket) -> Sequence[TicketTransition]:
    return (
        await session.scalars(
            select(TicketTransition)
            .where(TicketTransition.ticket_id == ticket.id)
            .order_by(TicketTransition.id)
        )
    ).all()


async def move(
    session: AsyncSession,
    ticket: Ticket,
    to: str,
    actor: str,
    *,
    comment: str | None = None,
    reply: str | None = None,
    now: datetime | None = None,
    pii: PersonalData | None = None,
) -> Ticket:
    """``pii`` protects the reply and comment (required when they hold personal data)."""
    allowed = TRANSITIONS.get(ticket.status, ())
    if to not in allowed:
        raise InvalidTransition(
            f"工单当前状态为“{STATUS_LABELS[ticket.status]}”，不能变为“{STATUS_LABELS.get(to, to)}”；"
            f"可选：{'、'.join(allowed) or '无'}",
            status_now=ticket.status,
            allowed_next=list(allowed),
        )
    if to == "replied" and not (reply and reply.strip()):
        raise ReplyRequired("答复工单须填写答复内容", field="reply")
    if to == "replied":
        waiting = [p.department for p in await parts(session, ticket) if p.answered_at is None]
        if waiting:
            raise PartsUnanswered(
                f"协办部门尚未答复其负责的部分：{'、'.join(waiting)}；全部答复后牵头部门才能答复诉求人",
                waiting=waiting,
            )
    now = now or datetime.now(UTC)
    if to == "replied" and ticket.replied_at is None:
        health_checks.observe_first_reply(ticket, now)
    previous = ticket.status
    reopen = to == "in_progress" and previous in ("resolved", "closed", "replied")
    ticket.status = to
    if to == "replied":
        assert reply is not None
        protected = protect(pii, reply, "tickets.reply", ticket.id)
        ticket.reply, ticket.reply_encrypted = protected.masked, protected.encrypted
        ticket.replied_at = ticket.replied_at or now
        ticket.last_replied_at = now
    elif to == "resolved":
        ticket.resolved_at = now
    elif to == "closed":
        ticket.closed_at = now
    elif reopen:
        ticket.resolved_at = None
        ticket.closed_at = None
    note = ("重新打开：" + (comment or "")) if reopen else comment
    protected_note = protect(pii, note, "ticket_transitions.comment", ticket.id) if note is not None else None
    session.add(
        TicketTransition(
            ticket_id=ticket.id,
            from_status=previous,
            to_status=to,
            actor=actor,
            comment=protected_note.masked if protected_note else None,
            comment_encrypted=protected_note.encrypted if protected_note else None,
            at=now,
        )
    )
    await session.flush()
    if to == "replied":
        await _emit(session, TicketReplied, ticket)
    elif to == "resolved":
        await _emit(session, TicketResolved, ticket)
    return ticket


RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
# The 1–5 score a rating counts as in the desk's averages (满意度).
RATING_SCORES = {"satisfied": 5, "basically_satisfied": 3, "dissatisfied": 1}
# A 不满意 answer may be reopened this long after the reply it rated.
REOPEN_WINDOW = timedelta(days=7)
REQUESTER = "requester"


@dataclass(frozen=True)
class RequesterOptions:
    """What the requester may still do with the ticket's latest answer."""

    can_rate: bool
    can_reopen: bool
    reopen_until: datetime | None


def _answered(ticket: Ticket) -> datetime | None:
    return ticket.last_replied_at or ticket.replied_at


def requester_options(ticket: Ticket, now: datetime | None = None) -> RequesterOptions:
    now = now or datetime.now(UTC)
    answered = _answered(ticket)
    answered_state = ticket.status in ("replied", "resolved", "closed") and answered is not None
    # One rating per answer: a rating given before the latest reply was for an earlier answer.
    rated_this_answer = ticket.rated_at is not None and answered is not None and ticket.rated_at >= answered
    until = answered + REOPEN_WINDOW if answered is not None else None
    reopened_since = ticket.reopened_at is not None and (
        ticket.rated_at is None or ticket.reopened_at >= ticket.rated_at
    )
    can_reopen = (
        answered_state
        and rated_this_answer
        and ticket.rating == "dissatisfied"
        and not reopened_since
        and until is not None
        and now <= until
    )
    return RequesterOptions(
        can_rate=answered_state and not rated_this_answer,
        can_reopen=can_reopen,
        reopen_until=until if answered_state and ticket.rating == "dissatisfied" else None,
    )


async def rate(
    session: AsyncSession,
    ticket: Ticket,
    rating: str,
    comment: str | None,
    pii: PersonalData | None = None,
    *,
    now: datetime | None = None,
) -> Ticket:
    """The requester rates the latest answer, once (a later answer, after a reopen, may be rated again)."""
    now = now or datetime.now(UTC)
    if ticket.status not in ("replied", "resolved", "closed") or _answered(ticket) is None:
        raise NotYetReplied("工单答复后才能评价", allowed_next=list(TRANSITIONS[ticket.status]))
    if not requester_options(ticket, now).can_rate:
        raise AlreadyRated(
            f"这次答复已评价为“{RATING_LABELS.get(ticket.rating or '', ticket.rating)}”，每次答复只能评价一次",
            rating=ticket.rating,
        )
    ticket.rating = rating
    ticket.satisfaction = RATING_SCORES[rating]
    ticket.rated_at = now
    note = protect(
        pii,
        f"评价：{RATING_LABELS[rating]}" + (f"：{comment}" if comment else ""),
        "ticket_transitions.comment",
        ticket.id,
    )
    session.add(
        TicketTransition(
            ticket_id=ticket.id,
            from_status=ticket.status,
            to_status=ticket.status,
            actor=REQUESTER,
            comment=note.masked,
            comment_encrypted=note.encrypted,
            at=now,
        )
    )
    await session.flush()
    await add_event(
        session,
        SOURCE,
        TicketRated(**facts(ticket), rating=rating, satisfaction=RATING_SCORES[rating]),
        subject=ticket.ticket_number,
    )
    return ticket


async def reopen(
    session: AsyncSession,
    ticket: Ticket,
    reason: str,
    pii: PersonalData | None = None,
    *,
    now: datetime | None = None,
) -> Ticket:
    """The requester, not satisfied with the answer, sends the ticket back to its department's queue (办理中)
    with the reason: only after rating it 不满意, once per such rating, within 7 days of the reply."""
    now = now or datetime.now(UTC)
    options = requester_options(ticket, now)
    if not options.can_reopen:
        if ticket.rating != "dissatisfied" or not (
            ticket.rated_at is not None and ticket.rated_at >= (_answered(ticket) or ticket.rated_at)
        ):
            raise ReopenNeedsDissatisfied(
                "只有评价为“不满意”的答复才能重新打开：请先评价", field="rating", rating=ticket.rating
            )
        if ticket.status not in ("replied", "resolved", "closed") or (
            ticket.reopened_at is not None
            and ticket.rated_at is not None
            and ticket.reopened_at >= ticket.rated_at
        ):
            raise AlreadyReopened("这次答复已重新打开过，请等待承办部门再次答复")
        raise ReopenWindowClosed(
            f"答复后 7 日内可重新打开，已于 {local_date(options.reopen_until or now).isoformat()} 截止；"
            "如仍有问题请提交新的诉求",
            reopen_until=(options.reopen_until or now).isoformat(),
        )
    await move(session, ticket, "in_progress", REQUESTER, comment=reason, now=now, pii=pii)
    ticket.reopened_at = now
    await session.flush()
    await add_event(
        session, SOURCE, TicketReopened(**facts(ticket), reopened_at=now), subject=ticket.ticket_number
    )
    return ticket


def awaiting_rework(ticket: Ticket) -> bool:
    """Reopened by the requester and not answered again since: the department's queue shows it first."""
    return ticket.reopened_at is not None and (
        ticket.last_replied_at is None or ticket.last_replied_at < ticket.reopened_at
    )


def awaiting_rework_clause() -> ColumnElement[bool]:
    """:func:`awaiting_rework` as SQL."""
    return and_(
        Ticket.reopened_at.is_not(None),
        or_(Ticket.last_replied_at.is_(None), Ticket.last_replied_at < Ticket.reopened_at),
    )


async def flag_overdue(session: AsyncSession, as_of: date, *, now: datetime | None = None) -> list[str]:
    """Mark and announce tickets past their deadline without a reply. Each is announced once; concurrent scans
    skip each other's rows."""
    now = now or datetime.now(UTC)
    rows = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.replied_at.is_(None),
                Ticket.overdue_at.is_(None),
                Ticket.status.in_(("submitted", "accepted", "in_progress")),
                Ticket.deadline < as_of,
            )
            .order_by(Ticket.deadline, Ticket.ticket_number)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for ticket in rows:
        ticket.overdue_at = now
        await _emit(session, TicketOverdue, ticket)
    await session.flush()
    return [t.ticket_number for t in rows]


# ---------------------------------------------------------------------------
# Transfer (转办) and joint handling (一个窗口接单，后台共同处理)
# ---------------------------------------------------------------------------

# Transfer, invite and part answers are for tickets still being handled.
HANDLING_STATUSES = ("submitted", "accepted", "in_progress")


def known_departments(settings: Settings) -> list[str]:
    """The departments a ticket can go to: those with officers on duty and those the ticket types route to."""
    names = list(settings.department_officers)
    names += [d for d, _ in TICKET_TYPES.values() if d not in names]
    return names


def _target_department(settings: Settings, ticket: Ticket, department: str) -> str:
    department = department.strip()
    known = known_departments(settings)
    if department not in known:
        raise UnknownDepartment(
            f"部门“{department[:40]}”不在承办部门名单中（可选 {'、'.join(known)}）", field="department"
        )
    if department == ticket.department:
        raise SameDepartment(f"工单已在{department}，不能转办或邀请协办到本部门", field="department")
    return department


def _ensure_handling(ticket: Ticket, what: str) -> None:
    if ticket.status not in HANDLING_STATUSES:
        raise TicketNotOpenForHandling(
            f"工单当前状态为“{STATUS_LABELS[ticket.status]}”，不能再{what}", status_now=ticket.status
        )


async def parts(session: AsyncSession, ticket: Ticket) -> Sequence[TicketPart]:
    return (
        await session.scalars(
            select(TicketPart).where(TicketPart.ticket_id == ticket.id).order_by(TicketPart.id)
        )
    ).all()


async def part_of(
    session: AsyncSession, ticket: Ticket, department: str, *, for_update: bool = False
) -> TicketPart | None:
    stmt = select(TicketPart).where(TicketPart.ticket_id == ticket.id, TicketPart.department == department)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


def _history(
    ticket: Ticket, actor: str, note: str, pii: PersonalData | None, now: datetime, *, to: str | None = None
) -> TicketTransition:
    protected = protect(pii, note, "ticket_transitions.comment", ticket.id)
    return TicketTransition(
        ticket_id=ticket.id,
        from_status=ticket.status,
        to_status=to or ticket.status,
        actor=actor,
        comment=protected.masked,
        comment_encrypted=protected.encrypted,
        at=now,
    )


async def transfer(
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    department: str,
    reason: str,
    actor: str,
    *,
    pii: PersonalData | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand the ticket to another department: a new officer there, status back to 已提交 for them to accept.

    Deadline rule: a ticket transferred before it was accepted was misrouted, and the new department gets the
    type's full time from the transfer day (the clock restarts); once accepted, the original deadline stands —
    the requester does not wait longer because the ticket changed hands."""
    _ensure_handling(ticket, "转办")
    target = _target_department(settings, ticket, department)
    if any(p.answered_at is None for p in await parts(session, ticket)):
        raise JointHandlingInProgress("工单正由多个部门共同处理，待协办部门答复后再转办")
    now = now or datetime.now(UTC)
    source = ticket.department
    restart = ticket.status == "submitted"
    if restart:
        days = TICKET_TYPES.get(ticket.type, ("", 5))[1]
        ticket.deadline = add_working_days(local_date(now), days, settings.holidays, settings.makeup_workdays)
        ticket.overdue_at = None
    session.add(
        _history(
            ticket,
            actor,
            f"转办：{source} → {target}；原因：{reason.strip()}"
            + ("；办理时限重新起算" if restart else "；办理时限不变"),
            pii,
            now,
            to="submitted",
        )
    )
    ticket.department = target
    ticket.officer = await pick_officer(session, settings, target)
    ticket.status = "submitted"
    await session.flush()
    await add_event(
        session,
        SOURCE,
        TicketTransferred(
            **facts(ticket),
            from_department=source,
            deadline=ticket.deadline,
            deadline_restarted=restart,
        ),
        subject=ticket.ticket_number,
    )
    return ticket


async def invite(
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    department: str,
    task: str,
    actor: str,
    *,
    pii: PersonalData | None = None,
    now: datetime | None = None,
) -> TicketPart:
    """Ask another department to handle its part of the ticket; the owning department stays the lead."""
    _ensure_handling(ticket, "邀请协办")
    target = _target_department(settings, ticket, department)
    if await part_of(session, ticket, target) is not None:
        raise AlreadyCoHandling(f"{target}已是此工单的协办部门", field="department")
    now = now or datetime.now(UTC)
    protected = protect(pii, task.strip(), "ticket_parts.task", ticket.id)
    part = TicketPart(
        ticket_id=ticket.id,
        department=target,
        officer=await pick_officer(session, settings, target),
        task=protected.masked,
        task_encrypted=protected.encrypted,
        invited_by=actor,
        invited_at=now,
    )
    session.add(part)
    session.add(_history(ticket, actor, f"邀请{target}协办：{task.strip()}", pii, now))
    await session.flush()
    co = [p.department for p in await parts(session, ticket)]
    await add_event(
        session,
        SOURCE,
        TicketJointHandlingStarted(
            **facts(ticket),
            co_department=target,
            co_officer=part.officer,
            co_departments=co,
        ),
        subject=ticket.ticket_number,
    )
    return part


async def answer_part(
    session: AsyncSession,
    ticket: Ticket,
    department: str,
    answer: str,
    principal: Principal,
    *,
    pii: PersonalData | None = None,
    now: datetime | None = None,
) -> TicketPart:
    """A co-handling department answers its own part (an admin may answer for it)."""
    if principal.kind != "staff":
        raise TicketForbidden("仅工作人员可办理工单")
    if "admin" not in principal.roles and principal.department != department:
        raise OtherDepartment(f"协办部分属于{department}，您只能答复本部门负责的部分")
    part = await part_of(session, ticket, department, for_update=True)
    if part is None:
        raise NotACoHandler(f"{department}不是工单 {ticket.ticket_number} 的协办部门")
    _ensure_handling(ticket, "答复协办部分")
    if part.answered_at is not None:
        raise PartAlreadyAnswered(f"{department}负责的部分已于 {part.answered_at:%Y-%m-%d} 答复")
    now = now or datetime.now(UTC)
    actor = actor_of(principal)
    protected = protect(pii, answer.strip(), "ticket_parts.answer", ticket.id)
    part.answer, part.answer_encrypted = protected.masked, protected.encrypted
    part.answered_by, part.answered_at = actor, now
    session.add(_history(ticket, actor, f"{department}答复协办部分", pii, now))
    await session.flush()
    done = all(p.answered_at is not None for p in await parts(session, ticket))
    await add_event(
        session,
        SOURCE,
        TicketPartAnswered(
            **facts(ticket),
            part_department=department,
            all_parts_answered=done,
        ),
        subject=ticket.ticket_number,
    )
    return part


GROUPS = {
    "department": "department",
    "type": "type",
    "channel": "channel",
    "month": "to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
    "quarter": "to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-\"Q\"Q')",
    "year": "to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')",
}

# 答复率 = replied / total; 解决率 = resolved or closed / total; 按时率 = first reply on or before the deadline
# (local date) / total; 满意度 = mean of the 1–5 scores given (满意 5, 基本满意 3, 不满意 1); 满意率 = (满意 +
# 基本满意) / rated. All computed by PostgreSQL.
# By department, a jointly handled ticket counts once for the lead and once per co-handler's part (the part is
# replied when the co-handler answered it, on time when that was by the ticket's deadline, solved with the ticket);
# the totals count each ticket once.
_STATS_SQL = """
WITH t AS (
    SELECT {key} AS key, status, replied_at, deadline, satisfaction, rating, reopened_at,
           replied_at IS NOT NULL AND (replied_at AT TIME ZONE 'Asia/Shanghai')::date <= deadline AS in_time
    FROM {source}
    WHERE (CAST(:date_from AS date) IS NULL
           OR (submitted_at AT TIME ZONE 'Asia/Shanghai')::date >= CAST(:date_from AS date))
      AND (CAST(:date_to AS date) IS NULL
           OR (submitted_at AT TIME ZONE 'Asia/Shanghai')::date <= CAST(:date_to AS date))
      AND (CAST(:department AS text) IS NULL OR department = CAST(:department AS text))
)
SELECT {select_key} AS key,
       count(*) AS total,
       count(replied_at) AS replied,
       count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS solved,
       count(*) FILTER (WHERE in_time) AS on_time,
       count(satisfaction) AS rated,
       round(count(replied_at)::numeric / nullif(count(*), 0), 4)::float AS reply_rate,
       round((count(*) FILTER (WHERE status IN ('resolved', 'closed')))::numeric / nullif(count(*), 0), 4)::float
           AS solve_rate,
       round((count(*) FILTER (WHERE in_time))::numeric / nullif(count(*), 0), 4)::float AS on_time_rate,
       round(avg(satisfaction)::numeric, 2)::float AS satisfaction,
       count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')) AS satisfied,
       count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied,
       count(reopened_at) AS reopened,
       round((count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')))::numeric
             / nullif(count(rating), 0), 4)::float AS satisfied_rate
FROM t
GROUP BY {group}
ORDER BY 1
"""

_WITH_PARTS = """(
    SELECT department, status, replied_at, deadline, satisfaction, rating, reopened_at, submitted_at FROM tickets
    UNION ALL
    SELECT p.department, t.status, p.answered_at, t.deadline, NULL::smallint, NULL::varchar, NULL::timestamptz,
           t.submitted_at
    FROM ticket_parts p JOIN tickets t ON t.id = p.ticket_id
) AS counted"""


async def stats(
    session: AsyncSession, group_by: str, date_from: date | None, date_to: date | None, department: str | None
) -> tuple[dict[str, object], list[dict[str, object]]]:
    params = {"date_from": date_from, "date_to": date_to, "department": department}
    source = _WITH_PARTS if group_by == "department" else "tickets"
    rows = (
        (
            await session.execute(
                text(
                    _STATS_SQL.format(
                        key=GROUPS[group_by], select_key="key::text", group="key", source=source
                    )
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    # Grouping by the empty set gives one totals row even when no ticket matches.
    totals = (
        (
            await session.execute(
                text(_STATS_SQL.format(key="NULL", select_key="'全部'", group="()", source="tickets")), params
            )
        )
        .mappings()
        .one()
    )
    return {**totals, "key": "全部"}, [dict(r) for r in rows]


# ---------------------------------------------------------------------------
# Reveal: the handling officer sees a ticket's masked text or the requester's phone in clear, audited
# ---------------------------------------------------------------------------


@dataclass
class Revealed:
    requester_phone: str | None = None
    title: str | None = None
    description: str | None = None
    reply: str | None = None
    history: list[tuple[TicketTransition, str | None]] = field(default_factory=list)
    # (department, task, answer) of each co-handler's part
    parts: list[tuple[str, str, str | None]] = field(default_factory=list)


async def reveal_ticket(
    session: AsyncSession,
    pii: PersonalData,
    ticket: Ticket,
    what: str,
    reason: str,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> tuple[TicketReveal, Revealed]:
    """The clear values of ``what`` (``text`` or ``requester_phone``) and the audit record written for them."""
    ensure_staff_may_handle(principal, ticket)
    if what == "requester_phone":
        if ticket.requester_phone_encrypted is None:
            raise NoRequesterPhone("该工单未留手机号")
        values = Revealed(requester_phone=pii.decrypt(ticket.requester_phone_encrypted, PHONE_COLUMN))
    else:
        values = Revealed(
            title=reveal(pii, ticket.title, ticket.title_encrypted, "tickets.title", ticket.id),
            description=reveal(
                pii, ticket.description, ticket.description_encrypted, "tickets.description", ticket.id
            ),
            reply=reveal(pii, ticket.reply, ticket.reply_encrypted, "tickets.reply", ticket.id),
            history=[
                (t, reveal(pii, t.comment, t.comment_encrypted, "ticket_transitions.comment", ticket.id))
                for t in await transitions(session, ticket)
            ],
            parts=[
                (
                    p.department,
                    reveal(pii, p.task, p.task_encrypted, "ticket_parts.task", ticket.id) or "",
                    reveal(pii, p.answer, p.answer_encrypted, "ticket_parts.answer", ticket.id),
                )
                for p in await parts(session, ticket)
            ],
        )
    record = TicketReveal(
        ticket_id=ticket.id,
        ticket_number=ticket.ticket_number,
        department=ticket.department,
        field=what,
        actor=actor_of(principal),
        actor_name=(principal.name or "")[:60] or None,
        # The reason is free text too; it is kept masked only (nobody needs its numbers back).
        reason=mask_pii(reason.strip()),
        at=now or datetime.now(UTC),
    )
    session.add(record)
    await session.flush()
    return record, values


async def list_reveals(
    session: AsyncSession,
    principal: Principal,
    *,
    ticket_number: str | None,
    before_id: int | None,
    limit: int,
) -> list[TicketReveal]:
    """Newest first; staff other than admins see their own department's reveals only."""
    stmt = select(TicketReveal).order_by(TicketReveal.id.desc()).limit(limit)
    if "admin" not in principal.roles:
        stmt = stmt.where(TicketReveal.department == principal.department)
    if ticket_number:
        stmt = stmt.where(TicketReveal.ticket_number == ticket_number)
    if before_id is not None:
        stmt = stmt.where(TicketReveal.id < before_id)
    return list((await session.scalars(stmt)).all())
