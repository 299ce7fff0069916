"""Leads (线索) recorded at an activity: a company's or talent's need heard there, a cooperation (合作) or a
negotiation (商洽) with another party. A need converts once — into a service ticket (this service's desk, channel
``activity``) or a technology demand: svc-matching owns demands, so the conversion publishes
``activity_lead.converted`` and svc-matching files the demand from it (the demand's ``demand.submitted`` carries
the lead's id back, and ``servicelists.consumers`` fills the lead's ``demand_id``). Nothing here writes another
service's tables.

An activity's report counts leads → conversions per activity and per kind (聚链融创: 合作 and 商洽 leads beside the
recorded outcomes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.clock import utc_now
from kunruyi_common.events import add_event
from kunruyi_common.pii_text import mask_pii
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.activities import repository
from kunruyi_talent.activities.exceptions import (
    ActivityNotStarted,
    ConversionFieldRequired,
    LeadAlreadyConverted,
    LeadNeedsCompany,
    LeadNotConvertible,
    LeadNotFound,
)
from kunruyi_talent.activities.schemas import LeadConversion, LeadCounts, LeadCreate, LeadList, LeadOut
from kunruyi_talent.activities.service import SOURCE, ensure_host, get
from kunruyi_talent.campaigns.exceptions import EnterpriseNotRegistered
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.events import ActivityLeadConverted
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import Activity, ActivityLead, Enterprise, Talent, Ticket
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk import service as desk
from kunruyi_talent.servicedesk.schemas import TicketCreate
from kunruyi_talent.settings import Settings

LEAD_CHANNEL = "activity"


def _host(activity: Activity, principal: Principal) -> None:
    ensure_host(activity, principal, "登记和查看本部门主办活动的线索")


def lead_out(lead: ActivityLead) -> LeadOut:
    return LeadOut.model_validate(lead, from_attributes=True)


async def record(
    session: AsyncSession, activity_id: uuid.UUID, data: LeadCreate, principal: Principal
) -> ActivityLead:
    activity = await get(session, activity_id)
    _host(activity, principal)
    if utc_now() < activity.starts_at:
        raise ActivityNotStarted("活动尚未开始，线索在活动现场登记", field="activity")
    uscc = None
    if data.uscc:
        uscc = enterprise_service.validate_uscc(data.uscc, "uscc")
        if await session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)) is None:
            raise EnterpriseNotRegistered(
                f"企业 {uscc} 不在企业库中：请先建档（POST /api/v1/enterprises）再登记线索",
                field="uscc",
                register_at="/api/v1/enterprises",
                uscc=uscc,
            )
    if data.talent_id is not None and await session.get(Talent, data.talent_id) is None:
        raise UnknownTalent("人才档案不存在", field="talent_id")
    lead = ActivityLead(
        id=uuid.uuid4(),
        activity_id=activity.id,
        kind=data.kind,
        enterprise_uscc=uscc,
        talent_id=data.talent_id,
        party=mask_pii(data.party.strip()) if data.party else None,
        content=mask_pii(data.content.strip()),
        status="open",
        created_by=actor_of(principal),
    )
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


async def _lead(session: AsyncSession, activity: Activity, lead_id: uuid.UUID) -> ActivityLead:
    lead = await session.get(ActivityLead, lead_id, with_for_update=True)
    if lead is None or lead.activity_id != activity.id:
        raise LeadNotFound(f"该活动没有编号为 {lead_id} 的线索", field="lead")
    return lead


def _demand_fields(data: LeadConversion) -> tuple[str, str, str]:
    for name in ("industry_chain", "technical_field", "demand_type"):
        if not getattr(data, name):
            raise ConversionFieldRequired("转为技术需求须给出产业链、技术领域和需求类型", field=name)
    assert data.industry_chain and data.technical_field and data.demand_type
    chain = TAXONOMY.industry_chains.normalise(data.industry_chain, field="industry_chain")
    field = TAXONOMY.technical_fields.normalise(data.technical_field, field="technical_field")
    return chain, field, data.demand_type


async def convert(
    session: AsyncSession,
    settings: Settings,
    pii: PersonalData,
    activity_id: uuid.UUID,
    lead_id: uuid.UUID,
    data: LeadConversion,
    principal: Principal,
) -> ActivityLead:
    """Turn a need lead into a ticket (here) or a technology demand (svc-matching, by the event): once."""
    activity = await get(session, activity_id)
    _host(activity, principal)
    lead = await _lead(session, activity, lead_id)
    if lead.kind != "need":
        raise LeadNotConvertible("合作、商洽线索计入活动成果，不转为工单或技术需求", field="lead")
    if lead.status == "converted":
        raise LeadAlreadyConverted(
            f"该线索已转为{'工单 ' + (lead.ticket_number or '') if lead.converted_to == 'ticket' else '技术需求'}",
            field="lead",
        )
    # The officer types the title: masked like the lead's content was at capture, before the ticket or the event.
    title = mask_pii((data.title or lead.content).strip())[:200]
    chain = field = demand_type = None
    if data.to == "ticket":
        if not data.type:
            raise ConversionFieldRequired("转为工单须给出诉求类型", field="type")
        if lead.enterprise_uscc is None and lead.talent_id is None:
            raise LeadNeedsCompany("转为工单的线索须是一家企业或一名人才的需求", field="lead")
        ticket, _secret = await desk.submit(
            session,
            settings,
            pii,
            TicketCreate(
                type=data.type,
                title=title,
                description=f"{activity.kind}「{activity.title}」现场线索：{lead.content}"[:4000],
                enterprise_uscc=lead.enterprise_uscc,
                talent_id=lead.talent_id,
            ),
            principal,
            channel=LEAD_CHANNEL,
        )
        lead.ticket_number = ticket.ticket_number
    else:
        if lead.enterprise_uscc is None:
            raise LeadNeedsCompany("技术需求属于企业：只有已建档企业的需求线索可转为技术需求", field="lead")
        chain, field, demand_type = _demand_fields(data)
    lead.status = "converted"
    lead.converted_to = data.to
    lead.converted_at = datetime.now(UTC)
    await session.flush()
    await add_event(
        session,
        SOURCE,
        ActivityLeadConverted(
            lead_id=str(lead.id),
            activity_id=str(activity.id),
            activity_kind=activity.kind,
            to=data.to,
            enterprise_uscc=lead.enterprise_uscc,
            talent_id=str(lead.talent_id) if lead.talent_id else None,
            ticket_number=lead.ticket_number,
            title=title,
            description=f"{activity.kind}「{activity.title}」现场线索：{lead.content}"[:5000],
            industry_chain=chain,
            technical_field=field,
            demand_type=demand_type,
        ),
        subject=str(lead.id),
    )
    return lead


async def listing(session: AsyncSession, activity_id: uuid.UUID, principal: Principal) -> LeadList:
    activity = await get(session, activity_id)
    _host(activity, principal)
    rows = (
        await session.scalars(
            select(ActivityLead)
            .where(ActivityLead.activity_id == activity.id)
            .order_by(ActivityLead.created_at, ActivityLead.id)
        )
    ).all()
    counted = (await repository.lead_counts(session, [activity.id])).get(str(activity.id), LeadCounts())
    # The tickets the leads became, in one query: the console shows where each stands without asking per lead.
    numbers = {r.ticket_number for r in rows if r.ticket_number}
    tickets = (
        {
            t.ticket_number: t
            for t in await session.execute(
                select(Ticket.ticket_number, Ticket.status, Ticket.department).where(
                    Ticket.ticket_number.in_(numbers)
                )
            )
        }
        if numbers
        else {}
    )
    items = []
    for row in rows:
        item = lead_out(row)
        ticket = tickets.get(row.ticket_number) if row.ticket_number else None
        if ticket is not None:
            item.ticket_status, item.ticket_department = ticket.status, ticket.department
        items.append(item)
    return LeadList(activity_id=activity.id, title=activity.title, counts=counted, items=items)
