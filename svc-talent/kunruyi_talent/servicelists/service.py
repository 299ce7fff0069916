"""The three lists (服务—需求—对策): what the center offers, the needs it gathered (tickets and visit problems),
and the countermeasures answering them (a theme, an owner department, a due date, a status, the tickets answered
and the policy version that fixed them — 打补丁、破梗阻). Technology demands (svc-matching) and the policies matched
to a company (svc-policy) come from this service's read models of their events (``consumers.py``); the catalog's
policy titles from the inbox's ``message_policy_titles``. Every list can be narrowed to a campaign (its tickets, and
the companies it targeted or visited) or a 区镇, and exported as one XLSX workbook (``export.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.campaigns import service as campaigns
from kunruyi_talent.models import (
    Countermeasure,
    CountermeasureTicket,
    HousingProject,
    MessagePolicyTitle,
    Ticket,
)
from kunruyi_talent.servicedesk import service as desk
from kunruyi_talent.servicedesk.exceptions import UnknownDepartment
from kunruyi_talent.servicedesk.routing import TICKET_TYPES
from kunruyi_talent.servicelists.exceptions import CountermeasureNotFound, UnknownLinkedTicket
from kunruyi_talent.servicelists.schemas import (
    CountermeasureCreate,
    CountermeasureOut,
    CountermeasureUpdate,
    NeedItem,
    PolicyMatchOut,
    ServiceItem,
)
from kunruyi_talent.settings import Settings


@dataclass(frozen=True)
class Scope:
    """A campaign (its tickets; the companies it targeted or visited) and/or a 区镇 (the company's district)."""

    campaign_id: uuid.UUID | None = None
    campaign: str | None = None
    district: str | None = None
    # the 区镇 the campaign covers (none listed: the whole city)
    campaign_districts: tuple[str, ...] = ()

    def districts(self) -> set[str] | None:
        """The 区镇 a place-bound service must lie in; None: anywhere."""
        chosen: set[str] | None = None
        if self.campaign_districts:
            chosen = set(self.campaign_districts)
        if self.district is not None:
            chosen = {self.district} if chosen is None else chosen & {self.district}
        return chosen

    def params(self) -> dict[str, Any]:
        given = {"campaign": self.campaign_id, "district": self.district}
        return {k: v for k, v in given.items() if v is not None}

    def tickets(self) -> str:
        parts = ["TRUE"]
        if self.campaign_id is not None:
            parts.append("t.campaign_id = :campaign")
        if self.district is not None:
            parts.append("e.district = :district")
        return " AND ".join(parts)

    def companies(self, uscc: str) -> str:
        """A condition on a company's USCC column (the enterprise joined as ``e``)."""
        parts = ["TRUE"]
        if self.campaign_id is not None:
            parts.append(
                f"{uscc} IN (SELECT target FROM campaign_targets WHERE campaign_id = :campaign AND kind = 'enterprise'"
                f" UNION SELECT target FROM visits WHERE campaign_id = :campaign AND target_kind = 'enterprise')"
            )
        if self.district is not None:
            parts.append("e.district = :district")
        return " AND ".join(parts)


async def scope(session: AsyncSession, campaign: str | None, district: str | None) -> Scope:
    """The narrowing asked for: an unknown campaign is 404, an unknown 区镇 422 naming ``district``."""
    found = await campaigns.get(session, campaign) if campaign else None
    name = (
        TAXONOMY.districts.display(TAXONOMY.districts.normalise(district, field="district"))
        if district
        else None
    )
    return Scope(
        campaign_id=found.id if found else None,
        campaign=campaign,
        district=name,
        campaign_districts=tuple(found.districts or ()) if found else (),
    )


async def services(session: AsyncSession, where: Scope | None = None) -> list[ServiceItem]:
    """What the center offers. Request types and policies serve the whole city; a resource tied to a place (talent
    housing) is listed for a 区镇 or a campaign only when it lies in that 区镇 or one the campaign covers."""
    items = [
        ServiceItem(category="request_type", key=t, title=t, department=d, working_days=n)
        for t, (d, n) in TICKET_TYPES.items()
    ]
    places = (where or Scope()).districts()
    housing = select(HousingProject.code, HousingProject.name, HousingProject.district).order_by(
        HousingProject.code
    )
    for code, name, district in (await session.execute(housing)).all():
        if places is None or district in places:
            items.append(
                ServiceItem(category="resource", key=code, title=f"人才租赁住房：{name}", district=district)
            )
    # The policy catalog as svc-policy published it (its policy events, kept by the inbox).
    for code, title in (
        await session.execute(
            select(MessagePolicyTitle.code, MessagePolicyTitle.title).order_by(MessagePolicyTitle.code)
        )
    ).all():
        items.append(ServiceItem(category="policy", key=code, title=title))
    return items


_TICKET_KEYS = {
    "theme": "t.type",
    "chain": "COALESCE(e.industry_chain, '未填产业链')",
    "district": "COALESCE(e.district, '未知区镇')",
}
# A demand's theme is its kind (技术攻关, 成果转化 …) under 技术需求; its chain svc-matching's code (named in Python).
_DEMAND_KEYS = {
    "theme": "'技术需求：' || d.demand_type",
    "chain": "d.industry_chain",
    "district": "COALESCE(e.district, '未知区镇')",
}
_NEEDS_SQL = """
SELECT key, sum(tickets) AS tickets, sum(demands) AS technology_demands, sum(open) AS open,
       sum(from_visits) AS from_visits
FROM (
    SELECT {ticket_key} AS key, count(*) AS tickets, 0 AS demands,
           count(*) FILTER (WHERE t.replied_at IS NULL) AS open,
           count(*) FILTER (WHERE t.channel = 'visit') AS from_visits
    FROM tickets t LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc
    WHERE {ticket_scope}
    GROUP BY 1
    UNION ALL
    SELECT {demand_key}, 0, count(*), count(*) FILTER (WHERE d.status NOT IN ('closed', 'rejected', 'completed')), 0
    FROM need_demands d LEFT JOIN enterprises e ON e.uscc = d.enterprise_uscc
    WHERE {demand_scope}
    GROUP BY 1
) n
GROUP BY key
"""


def _chain_name(code: str) -> str:
    for vocabulary in (TAXONOMY.industry_chains, TAXONOMY.national_chains):
        found = vocabulary.lookup(code)
        if found is not None:
            return vocabulary.display(found)
    return code


async def needs(session: AsyncSession, group_by: str, where: Scope | None = None) -> list[NeedItem]:
    where = where or Scope()
    sql = _NEEDS_SQL.format(
        ticket_key=_TICKET_KEYS[group_by],
        demand_key=_DEMAND_KEYS[group_by],
        ticket_scope=where.tickets(),
        demand_scope=where.companies("d.enterprise_uscc"),
    )
    merged: dict[str, dict[str, int]] = {}
    for row in (await session.execute(text(sql), where.params())).mappings().all():
        key = _chain_name(row["key"]) if group_by == "chain" and row["technology_demands"] else row["key"]
        into = merged.setdefault(key, {"tickets": 0, "technology_demands": 0, "open": 0, "from_visits": 0})
        for name in into:
            into[name] += int(row[name])
    per_theme: dict[str, int] = {}
    if group_by == "theme":
        counted = await session.execute(
            select(Countermeasure.theme, func.count()).group_by(Countermeasure.theme)
        )
        per_theme = {theme: int(n) for theme, n in counted.all()}
    items = [
        NeedItem(
            key=key,
            total=v["tickets"] + v["technology_demands"],
            countermeasures=per_theme.get(key, 0),
            **v,
        )
        for key, v in merged.items()
    ]
    return sorted(items, key=lambda n: (-n.total, n.key))


_POLICIES_SQL = """
SELECT p.entity_type, p.entity_id, COALESCE(e.name, tl.name) AS entity_name, p.policy_code, p.policy_title,
       p.department, p.status
FROM policy_matches p
LEFT JOIN enterprises e ON p.entity_type = 'enterprise' AND e.uscc = p.entity_id
LEFT JOIN talents tl ON p.entity_type = 'talent' AND tl.id::text = p.entity_id
WHERE {scope}
ORDER BY p.entity_type, entity_name, p.entity_id, p.policy_code
LIMIT 5000
"""


async def policy_matches(session: AsyncSession, where: Scope | None = None) -> list[PolicyMatchOut]:
    """The policies matched to each company (and talent, when not narrowed to companies by a scope)."""
    where = where or Scope()
    condition = (
        "p.status <> 'lost'"  # a policy the company fell out of reach of is no longer a countermeasure
    )
    if where.campaign_id is not None or where.district is not None:
        condition += " AND p.entity_type = 'enterprise' AND " + where.companies("p.entity_id")
    rows = await session.execute(text(_POLICIES_SQL.format(scope=condition)), where.params())
    return [PolicyMatchOut.model_validate(dict(r)) for r in rows.mappings().all()]


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


async def countermeasures(
    session: AsyncSession, status: str | None, where: Scope | None = None
) -> list[CountermeasureOut]:
    """The countermeasures; narrowed to a scope, those answering at least one of its tickets."""
    where = where or Scope()
    stmt = select(Countermeasure).order_by(Countermeasure.due_on, Countermeasure.created_at)
    if status:
        stmt = stmt.where(Countermeasure.status == status)
    if where.campaign_id is not None or where.district is not None:
        answered = await session.scalars(
            text(
                "SELECT DISTINCT ct.countermeasure_id FROM countermeasure_tickets ct "
                "JOIN tickets t ON t.id = ct.ticket_id LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc "
                f"WHERE {where.tickets()}"
            ),
            where.params(),
        )
        stmt = stmt.where(Countermeasure.id.in_(list(answered.all())))
    return [await view(session, m) for m in (await session.scalars(stmt)).all()]
