from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal, OptionalPrincipal, Principal
from kunruyi_common.clock import local_today
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import MissingCredentials, NotOwnEntity, ScopeDenied
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of, talent_self_id
from kunruyi_talent.deps import PersonalDataDep, SettingsDep
from kunruyi_talent.models import Ticket, TicketPart
from kunruyi_talent.servicedesk import service
from kunruyi_talent.servicedesk.auth import AdminOrOfficer, OfficerReviewerOrApprover
from kunruyi_talent.servicedesk.exceptions import TicketForbidden
from kunruyi_talent.servicedesk.routing import (
    CHANNELS,
    STATUS_LABELS,
    TICKET_TYPES,
    TRANSITIONS,
    VISIT_CHANNEL,
)
from kunruyi_talent.servicedesk.schemas import (
    InviteIn,
    OverdueScanOut,
    PartAnswerIn,
    PartOut,
    RatingIn,
    RequesterReopen,
    RevealedPart,
    RevealedTransition,
    RevealIn,
    RevealOut,
    RevealPage,
    RevealRecord,
    StatsOut,
    StatsRow,
    Status,
    TicketCreate,
    TicketCreated,
    TicketPage,
    TicketPublic,
    TicketStaff,
    TicketTypeOut,
    TicketTypesOut,
    TransferIn,
    TransitionIn,
    TransitionOut,
)

router = APIRouter(prefix="/api/v1", tags=["一站式服务与诉求 service desk"])


async def public_view(session: AsyncSession, ticket: Ticket) -> TicketPublic:
    history = [
        TransitionOut(from_status=t.from_status, to_status=t.to_status, at=t.at, comment=t.comment)
        for t in await service.transitions(session, ticket)
    ]
    return TicketPublic(
        ticket_number=ticket.ticket_number,
        type=ticket.type,
        title=ticket.title,
        status=ticket.status,
        status_label=STATUS_LABELS[ticket.status],
        reply=ticket.reply,
        officer=ticket.officer,
        department=ticket.department,
        deadline=ticket.deadline,
        satisfaction=ticket.satisfaction,
        history=history,
        **rating_fields(ticket),
    )


def rating_fields(ticket: Ticket) -> dict[str, Any]:
    options = service.requester_options(ticket)
    return {
        "rating": ticket.rating,
        "rating_label": service.RATING_LABELS.get(ticket.rating) if ticket.rating else None,
        "rated_at": ticket.rated_at,
        "can_rate": options.can_rate,
        "can_reopen": options.can_reopen,
        "reopen_until": options.reopen_until,
    }


def staff_view(ticket: Ticket, history: list[TransitionOut]) -> TicketStaff:
    return TicketStaff(
        id=ticket.id,
        ticket_number=ticket.ticket_number,
        type=ticket.type,
        title=ticket.title,
        description=ticket.description,
        status=ticket.status,
        status_label=STATUS_LABELS[ticket.status],
        reply=ticket.reply,
        officer=ticket.officer,
        department=ticket.department,
        deadline=ticket.deadline,
        satisfaction=ticket.satisfaction,
        history=history,
        **rating_fields(ticket),
        channel=ticket.channel,
        requester_kind=ticket.requester_kind,
        requester_name=ticket.requester_name,
        requester_phone=ticket.requester_phone_masked,
        talent_id=ticket.talent_id,
        enterprise_uscc=ticket.enterprise_uscc,
        service_code=ticket.service_code,
        submitted_at=ticket.submitted_at,
        replied_at=ticket.replied_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        overdue=ticket.overdue_at is not None,
        reopened=service.awaiting_rework(ticket),
        reopened_at=ticket.reopened_at,
    )


async def staff_detail(session: AsyncSession, ticket: Ticket) -> TicketStaff:
    history = [
        TransitionOut(
            from_status=t.from_status, to_status=t.to_status, at=t.at, comment=t.comment, actor=t.actor
        )
        for t in await service.transitions(session, ticket)
    ]
    view = staff_view(ticket, history)
    view.parts = [
        PartOut.model_validate(p, from_attributes=True) for p in await service.parts(session, ticket)
    ]
    view.joint = bool(view.parts)
    return view


@router.get("/service-desk/types", summary="诉求类型、承办部门与办理时限（工作日）")
async def ticket_types() -> TicketTypesOut:
    return TicketTypesOut(
        types=[TicketTypeOut(type=t, department=d, working_days=n) for t, (d, n) in TICKET_TYPES.items()],
        channels=[*CHANNELS, VISIT_CHANNEL],
        transitions={state: list(nexts) for state, nexts in TRANSITIONS.items()},
    )


@router.post(
    "/tickets",
    status_code=201,
    response_model=TicketCreated,
    summary="提交诉求（昆e服扫码、窗口、电话、接口、一企来办）",
)
async def create_ticket(
    body: TicketCreate,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    if principal.kind == "partner" and not principal.has_scope("talent:write"):
        raise ScopeDenied("需要权限 talent:write")

    async def produce() -> tuple[int, TicketCreated]:
        ticket, secret = await service.submit(session, settings, pii, body, principal)
        created = TicketCreated(
            ticket_number=ticket.ticket_number,
            access_secret=secret,
            status=ticket.status,
            deadline=ticket.deadline,
        )
        return 201, created

    # Sealed: the answer holds the ticket's lookup secret, which the requester must get again on a retry.
    return await idempotent(session, idempotency_key, principal, "tickets", body, produce, sealer=pii)


@router.get(
    "/tickets",
    response_model=TicketPage,
    summary="工单列表（工作人员仅见本部门；人才仅见本人；企业仅见本企业）",
)
async def list_tickets(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[Status | None, Query(description="按工单状态筛选")] = None,
    type: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    reopened: Annotated[
        bool | None, Query(description="true：重新打开后尚待再次答复的工单（承办部门优先办理）")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> TicketPage:
    stmt = select(Ticket).order_by(Ticket.ticket_number.desc()).limit(limit + 1)
    self_id = talent_self_id(principal)
    own_uscc = principal.signed_in_enterprise
    if self_id is not None:
        stmt = stmt.where(Ticket.talent_id == self_id)
    elif own_uscc is not None:
        # A company signed in through 苏商通 follows the tickets filed for it (not a talent's naming it).
        stmt = stmt.where(service.company_tickets_clause(own_uscc))
    elif principal.kind == "staff" and principal.has_role("officer", "reviewer", "approver"):
        if "admin" not in principal.roles:
            # Its own tickets and those it co-handles (a part to answer).
            co_handled = select(TicketPart.ticket_id).where(TicketPart.department == principal.department)
            stmt = stmt.where(or_(Ticket.department == principal.department, Ticket.id.in_(co_handled)))
        elif department:
            stmt = stmt.where(Ticket.department == department)
    else:
        raise TicketForbidden("无权查看工单列表")
    after = decode_cursor(cursor, 1)
    if after:
        stmt = stmt.where(Ticket.ticket_number < str(after[0]))
    if status:
        stmt = stmt.where(Ticket.status == status)
    if type:
        stmt = stmt.where(Ticket.type == type)
    if overdue is not None:
        stmt = stmt.where(Ticket.overdue_at.is_not(None) if overdue else Ticket.overdue_at.is_(None))
    if reopened is not None:
        stmt = stmt.where(service.awaiting_rework_clause() if reopened else ~service.awaiting_rework_clause())
    rows = list((await session.scalars(stmt)).all())
    page, more = rows[:limit], len(rows) > limit
    return TicketPage(
        items=[staff_view(t, []) for t in page],
        next_cursor=encode_cursor(page[-1].ticket_number) if more else None,
    )


@router.get(
    "/tickets/{ticket_number}",
    response_model=TicketPublic | TicketStaff,
    summary="查询工单（凭查询密码、工作人员、人才本人或本企业）",
)
async def get_ticket(
    ticket_number: str, session: SessionDep, principal: OptionalPrincipal, secret: str | None = None
) -> TicketPublic | TicketStaff:
    if secret:
        return await public_view(session, await service.get_for_requester(session, ticket_number, secret))
    if principal is None:
        raise MissingCredentials("请提供工单查询密码")
    ticket = await service.get_by_number(session, ticket_number)
    if service.filed_by(principal, ticket):
        return await public_view(session, ticket)
    await service.ensure_staff_may_view(session, principal, ticket)
    return await staff_detail(session, ticket)


@router.post(
    "/tickets/{ticket_number}/transitions",
    response_model=TicketStaff,
    summary="办理工单：受理、办理、答复、解决、办结、重新打开",
)
async def transition_ticket(
    ticket_number: str,
    body: TransitionIn,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OfficerReviewerOrApprover,
) -> TicketStaff:
    ticket = await service.get_by_number(session, ticket_number, for_update=True)
    service.ensure_staff_may_handle(principal, ticket)
    await service.move(
        session, ticket, body.to, actor_of(principal), comment=body.comment, reply=body.reply, pii=pii
    )
    return await staff_detail(session, ticket)


@router.post(
    "/tickets/{ticket_number}/transfer",
    response_model=TicketStaff,
    summary="转办：工单转到另一部门（须填原因；受理前转办的办理时限重新起算）",
)
async def transfer_ticket(
    ticket_number: str,
    body: TransferIn,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: OfficerReviewerOrApprover,
) -> TicketStaff:
    ticket = await service.get_by_number(session, ticket_number, for_update=True)
    service.ensure_staff_may_handle(principal, ticket)
    await service.transfer(
        session, settings, ticket, body.department, body.reason, actor_of(principal), pii=pii
    )
    return await staff_detail(session, ticket)


@router.post(
    "/tickets/{ticket_number}/parts",
    status_code=201,
    response_model=TicketStaff,
    summary="邀请协办部门共同处理（一个窗口接单，后台共同处理）；仅牵头部门可邀请",
)
async def invite_co_handler(
    ticket_number: str,
    body: InviteIn,
    session: SessionDep,
    settings: SettingsDep,
    pii: PersonalDataDep,
    principal: OfficerReviewerOrApprover,
) -> TicketStaff:
    ticket = await service.get_by_number(session, ticket_number, for_update=True)
    service.ensure_staff_may_handle(principal, ticket)
    await service.invite(session, settings, ticket, body.department, body.task, actor_of(principal), pii=pii)
    return await staff_detail(session, ticket)


@router.post(
    "/tickets/{ticket_number}/parts/{department}/answer",
    response_model=TicketStaff,
    summary="协办部门答复本部门负责的部分（全部答复后牵头部门答复诉求人）",
)
async def answer_part(
    ticket_number: str,
    department: str,
    body: PartAnswerIn,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OfficerReviewerOrApprover,
) -> TicketStaff:
    ticket = await service.get_by_number(session, ticket_number, for_update=True)
    await service.answer_part(session, ticket, department, body.answer, principal, pii=pii)
    return await staff_detail(session, ticket)


async def requester_ticket(
    session: AsyncSession, ticket_number: str, secret: str | None, principal: Principal | None
) -> Ticket:
    """The ticket its requester acts on: by number + query code (a visitor), or as the signed-in talent or
    company that filed it (another's ticket: 403 ``not_own_entity``)."""
    if secret:
        return await service.get_for_requester(session, ticket_number, secret, for_update=True)
    if principal is None:
        raise MissingCredentials("请提供工单查询码，或以提交诉求的企业、人才身份登录")
    self_id = talent_self_id(principal)
    own_uscc = principal.signed_in_enterprise
    if self_id is None and own_uscc is None:
        raise NotOwnEntity("只有提交诉求的企业或人才本人可以评价或重新打开工单")
    ticket = await service.get_by_number(session, ticket_number, for_update=True)
    if service.filed_by(principal, ticket):
        return ticket
    raise NotOwnEntity("这不是本企业（本人）的诉求，不能评价或重新打开")


@router.post(
    "/tickets/{ticket_number}/reopen",
    response_model=TicketPublic,
    summary="诉求人对答复不满意，7 日内重新打开（凭查询码，或提交诉求的企业、人才本人登录）",
)
async def reopen_ticket(
    ticket_number: str,
    body: RequesterReopen,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OptionalPrincipal,
    secret: str | None = None,
) -> TicketPublic:
    ticket = await requester_ticket(session, ticket_number, secret, principal)
    await service.reopen(session, ticket, body.comment, pii)
    return await public_view(session, ticket)


@router.post(
    "/tickets/{ticket_number}/rating",
    response_model=TicketPublic,
    summary="诉求人评价答复：满意、基本满意、不满意（每次答复一次；凭查询码，或本人登录）",
)
async def rate_ticket(
    ticket_number: str,
    body: RatingIn,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OptionalPrincipal,
    secret: str | None = None,
) -> TicketPublic:
    ticket = await requester_ticket(session, ticket_number, secret, principal)
    await service.rate(session, ticket, body.rating, body.comment, pii)
    return await public_view(session, ticket)


@router.post(
    "/tickets/{ticket_number}/reveal",
    response_model=RevealOut,
    summary="承办人员查看脱敏内容原文或诉求人手机号（须填事由，记入审计）",
)
async def reveal_ticket(
    ticket_number: str,
    body: RevealIn,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: OfficerReviewerOrApprover,
    response: Response,
) -> RevealOut:
    response.headers["Cache-Control"] = "no-store"
    ticket = await service.get_by_number(session, ticket_number)
    record, values = await service.reveal_ticket(session, pii, ticket, body.field, body.reason, principal)
    return RevealOut(
        ticket_number=ticket.ticket_number,
        field=record.field,
        audit_id=record.id,
        revealed_at=record.at,
        requester_phone=values.requester_phone,
        title=values.title,
        description=values.description,
        reply=values.reply,
        history=None
        if body.field == "requester_phone"
        else [
            RevealedTransition(
                from_status=t.from_status, to_status=t.to_status, at=t.at, actor=t.actor, comment=c
            )
            for t, c in values.history
        ],
        parts=None
        if body.field == "requester_phone"
        else [RevealedPart(department=d, task=t, answer=a) for d, t, a in values.parts],
    )


@router.get(
    "/service-desk/reveals",
    response_model=RevealPage,
    summary="查看原文的审计记录（工作人员仅见本部门，管理员可见全部）",
)
async def list_reveals(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    ticket_number: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> RevealPage:
    after = decode_cursor(cursor, 1)
    if after is not None and (type(after[0]) is not int or not 0 < after[0] < 2**63):
        raise invalid_cursor()
    rows = await service.list_reveals(
        session,
        principal,
        ticket_number=ticket_number,
        before_id=after[0] if after else None,
        limit=limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    return RevealPage(
        items=[RevealRecord.model_validate(r, from_attributes=True) for r in page],
        next_cursor=encode_cursor(page[-1].id) if more else None,
    )


@router.post("/service-desk/overdue-scan", summary="检查超期未答复的工单并发出超期事件")
async def overdue_scan(
    session: SessionDep,
    principal: AdminOrOfficer,
    as_of: date | None = None,
) -> OverdueScanOut:
    day = as_of or local_today()
    flagged = await service.flag_overdue(session, day)
    return OverdueScanOut(as_of=day, flagged=flagged)


@router.get("/service-desk/stats", response_model=StatsOut, summary="答复率、解决率、按时率与满意度")
async def desk_stats(
    session: SessionDep,
    principal: OfficerReviewerOrApprover,
    group_by: Literal["department", "type", "channel", "month", "quarter", "year"] = "department",
    date_from: date | None = None,
    date_to: date | None = None,
    department: str | None = None,
) -> StatsOut:
    totals, rows = await service.stats(session, group_by, date_from, date_to, department)
    return StatsOut(
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        totals=StatsRow.model_validate(totals),
        items=[StatsRow.model_validate(r) for r in rows],
    )
