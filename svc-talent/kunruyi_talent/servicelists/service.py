"""The three lists (服务—需求—对策): what the center offers, the needs it gathered (tickets and visit problems),
and the countermeasures answering them (a theme, an owner department, a due date, a status, the tickets answered
and the policy version that fixed them — 打补丁、破梗阻). Technology demands live in svc-matching and policies in
svc-policy; these lists cover what svc-talent holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from kunruyi_common.auth import Principal
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.models import Countermeasure, CountermeasureTicket, HousingProject, Ticket
from kunruyi_talent.servicedesk import service as desk
from kunruyi_talent.servicedesk.exceptions import UnknownDepartment
from kunruyi_talent.servicedesk.routing import TICKET_TYPES
from kunruyi_talent.servicelists.exceptions import CountermeasureNotFound, UnknownLinkedTicket
from kunruyi_talent.servicelists.schemas import (
    CountermeasureCreate,
    CountermeasureOut,
    CountermeasureUpdate,
    NeedItem,
    ServiceItem,
)
from kunruyi_talent.settings import Settings


async def services(session: AsyncSession) -> list[ServiceItem]:
    items = [
        ServiceItem(category="request_type", key=t, title=t, department=d, working_days=n)
        for t, (d, n) in TICKET_TYPES.items()
    ]
    for code, name in (await session.execute(select(HousingProject.code, HousingProject.name))).all():
        items.append(ServiceItem(category="resource", key=code, title=f"人才租赁住房：{name}"))
    return items


_KEYS = {
    "theme": "t.type",
    "chain": "COALESCE(e.industry_chain, '未填产业链')",
    "district": "COALESCE(e.district, '未知区镇')",
}
_NEEDS_SQL = """
SELECT {key} AS key, count(*) AS total,
       count(*) FILTER (WHERE t.replied_at IS NULL) AS open,
       count(*) FILTER (WHERE t.channel = 'visit') AS from_visits,
       {countermeasures} AS countermeasures
FROM tickets t LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc
GROUP BY 1 ORDER BY 2 DESC, 1
"""


async def needs(session: AsyncSession, group_by: str) -> list[NeedItem]:
    # By theme, the countermeasures on that theme (t.type is the grouped column).
    per_theme = (
        "(SELECT count(*) FROM countermeasures c WHERE c.theme = t.type)" if group_by == "theme" else "0"
    )
    sql = _NEEDS_SQL.format(key=_KEYS[group_by], countermeasures=per_theme)
    return [NeedItem.model_validate(dict(r)) for r in (await session.execute(text(sql))).mappings().all()]


async def _tickets(session: AsyncSession, numbers: Sequence[str]) -> list[Ticket]:
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    found = list((await session.scalars(select(Ticket).where(Ticket.ticket_number.in_(wanted)))).all())
    missing = sorted(set(wanted) - {t.ticket_number for t in found})
    if missing:
        raise UnknownLinkedTicket(f"工单不存在：{'、'.join(missing[:10])}", field="tickets", missing=missing)
    return found


async def view(session: AsyncSession, measure: Countermeasure) -> CountermeasureOut:
    numbers = (
        await session.scalars(
            select(Ticket.ticket_number)
            .join(CountermeasureTicket, CountermeasureTicket.ticket_id == Ticket.id)
            .where(CountermeasureTicket.countermeasure_id == measure.id)
            .order_by(Ticket.ticket_number)
        )
    ).all()
    return CountermeasureOut(
        id=measure.id,
        theme=measure.theme,
        title=measure.title,
        owner_department=measure.owner_department,
        due_on=measure.due_on,
        status=measure.status,
        policy_ref=measure.policy_ref,
        tickets=list(numbers),
    )


async def _link(session: AsyncSession, measure: Countermeasure, tickets: Sequence[Ticket]) -> None:
    linked = set(
        (
            await session.scalars(
                select(CountermeasureTicket.ticket_id).where(
                    CountermeasureTicket.countermeasure_id == measure.id
                )
            )
        ).all()
    )
    for ticket in tickets:
        if ticket.id not in linked:
            session.add(CountermeasureTicket(countermeasure_id=measure.id, ticket_id=ticket.id))


async def create(
    session: AsyncSession, settings: Settings, data: CountermeasureCreate, principal: Principal
) -> Countermeasure:
    department = data.owner_department.strip()
    known = desk.known_departments(settings)
    if department not in known:
        raise UnknownDepartment(
            f"部门“{department[:40]}”不在承办部门名单中（可选 {'、'.join(known)}）", field="owner_department"
        )
    tickets = await _tickets(session, data.tickets)
    measure = Countermeasure(
        id=uuid.uuid4(),
        theme=data.theme.strip(),
        title=data.title.strip(),
        owner_department=department,
        due_on=data.due_on,
        status="planned",
        policy_ref=data.policy_ref,
        created_by=actor_of(principal),
    )
    session.add(measure)
    await session.flush()
    await _link(session, measure, tickets)
    await session.flush()
    return measure


async def update(session: AsyncSession, measure_id: uuid.UUID, data: CountermeasureUpdate) -> Countermeasure:
    measure = await session.get(Countermeasure, measure_id, with_for_update=True)
    if measure is None:
        raise CountermeasureNotFound(f"没有编号为 {measure_id} 的对策")
    if data.tickets:
        await _link(session, measure, await _tickets(session, data.tickets))
    if data.status is not None:
        measure.status = data.status
    if data.policy_ref is not None:
        measure.policy_ref = data.policy_ref.strip() or None
    await session.flush()
    return measure


async def countermeasures(session: AsyncSession, status: str | None) -> list[CountermeasureOut]:
    stmt = select(Countermeasure).order_by(Countermeasure.due_on, Countermeasure.created_at)
    if status:
        stmt = stmt.where(Countermeasure.status == status)
    return [await view(session, m) for m in (await session.scalars(stmt)).all()]
