"""Broker registry, capacity, conflicts, assignment (batch, on arrival, claim / release) and KPIs."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from kunruyi_common.auth import Principal
from kunruyi_common.clock import LOCAL_TZ
from kunruyi_common.errors import InvalidPeriod
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pagination import keyset_cursor, newest_first
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker.assignment import affinity, solve
from kunruyi_matching.broker.exceptions import (
    BrokerExists,
    BrokerInactive,
    BrokerNotFound,
    CapacityExhausted,
    ConflictOfInterest,
    DemandNotClaimable,
    DemandNotReleasable,
)
from kunruyi_matching.broker.models import AssignmentRun, Broker, BrokerConflict
from kunruyi_matching.broker.schemas import BrokerCreate, BrokerUpdate, ConflictCreate, KpiRow
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import WaitCode
from kunruyi_matching.engagement.stages import STAGE_LABELS, record_stage
from kunruyi_matching.events import DemandAssigned
from kunruyi_matching.exceptions import NotABroker, NotYourDemand


def month_start(now: datetime) -> datetime:
    """Capacity is per calendar month in Kunshan's time zone."""
    local = now.astimezone(LOCAL_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def create(session: AsyncSession, body: BrokerCreate) -> Broker:
    exists = (await session.execute(select(Broker.id).where(Broker.subject == body.subject))).first()
    if exists:
        raise BrokerExists(f"经纪人账号 {body.subject} 已登记")
    broker = Broker(id=uuid.uuid4(), active=True, **body.model_dump())
    session.add(broker)
    await session.flush()
    return broker


async def get(session: AsyncSession, broker_id: uuid.UUID) -> Broker:
    broker = await session.get(Broker, broker_id)
    if broker is None:
        raise BrokerNotFound(f"经纪人 {broker_id} 不存在")
    return broker


async def update(session: AsyncSession, broker_id: uuid.UUID, body: BrokerUpdate) -> tuple[Broker, bool]:
    """Apply the fields sent; True when the change can open room for waiting demands (more capacity, back
    in service, or new chains / fields)."""
    broker = (
        await session.execute(select(Broker).where(Broker.id == broker_id).with_for_update())
    ).scalar_one_or_none()
    if broker is None:
        raise BrokerNotFound(f"经纪人 {broker_id} 不存在")
    changes = body.model_dump(exclude_unset=True)
    opens = broker.active is False and changes.get("active") is True
    opens |= changes.get("monthly_capacity", broker.monthly_capacity) > broker.monthly_capacity
    opens |= bool(set(changes.get("chains", broker.chains)) - set(broker.chains))
    opens |= bool(set(changes.get("fields", broker.fields)) - set(broker.fields))
    for name, value in changes.items():
        setattr(broker, name, value)
    await session.flush()
    return broker, opens and broker.active


async def conflicts_of(session: AsyncSession, broker_id: uuid.UUID) -> list[BrokerConflict]:
    return list(
        (
            await session.execute(
                select(BrokerConflict)
                .where(BrokerConflict.broker_id == broker_id)
                .order_by(BrokerConflict.enterprise_uscc)
            )
        ).scalars()
    )


WAIT_REASONS: dict[WaitCode, str] = {
    "no_broker_covers": "没有在岗经纪人覆盖该需求的产业链或技术领域",
    "only_conflicted": "覆盖该领域的经纪人均已申报与该企业存在利益冲突",
    "released_by_all": "覆盖该领域且无利益冲突的经纪人都曾释放过该需求，不再自动指派给他们（仍可认领）",
    "capacity_full": "覆盖该领域且无利益冲突的经纪人本月承接量均已满",
    "awaiting_run": "有经纪人可承接，等待下一次指派（POST /api/v1/assignments/runs）或认领",
}


@dataclass(frozen=True)
class WaitReason:
    code: WaitCode
    detail: str
    covering_brokers: int
    eligible_brokers: int
    eligible_with_room: int


async def wait_reasons(session: AsyncSession, demands: list[Demand]) -> dict[uuid.UUID, WaitReason]:
    """Why each waiting demand has no broker, by the assignment's own rules (chain / field, conflicts,
    remaining monthly capacity)."""
    if not demands:
        return {}
    brokers = list((await session.execute(select(Broker).where(Broker.active.is_(True)))).scalars())
    usage = await usage_this_month(session)
    usccs = list({d.enterprise_uscc for d in demands})
    conflicts = {
        (row[0], row[1])
        for row in (
            await session.execute(
                select(BrokerConflict.broker_id, BrokerConflict.enterprise_uscc).where(
                    BrokerConflict.enterprise_uscc.in_(usccs)
                )
            )
        ).all()
    }
    out: dict[uuid.UUID, WaitReason] = {}
    for d in demands:
        covering = [b for b in brokers if d.industry_chain in b.chains or d.technical_field in b.fields]
        unconflicted = [b for b in covering if (b.id, d.enterprise_uscc) not in conflicts]
        eligible = [b for b in unconflicted if b.id not in d.released_by]
        with_room = [b for b in eligible if b.monthly_capacity - usage.get(b.id, 0) > 0]
        code: WaitCode
        if not covering:
            code = "no_broker_covers"
        elif not unconflicted:
            code = "only_conflicted"
        elif not eligible:
            code = "released_by_all"
        elif not with_room:
            code = "capacity_full"
        else:
            code = "awaiting_run"
        out[d.id] = WaitReason(code, WAIT_REASONS[code], len(covering), len(eligible), len(with_room))
    return out


async def by_subject(session: AsyncSession, subject: str) -> Broker:
    broker = (await session.execute(select(Broker).where(Broker.subject == subject))).scalar_one_or_none()
    if broker is None:
        raise NotABroker("当前账号未登记为技术经纪人")
    return broker


async def add_conflict(
    session: AsyncSession, broker_id: uuid.UUID, body: ConflictCreate, actor: str
) -> list[Demand]:
    """Record the conflict; the enterprise's demands this broker holds but has not started (stage 认领/指派) go
    back to the queue and are re-assigned at once under the new conflict. Demands already past that stage stay
    with the broker (an officer decides; they are listed by ``GET /api/v1/demands?broker_id=``)."""
    await get(session, broker_id)
    await session.execute(
        insert(BrokerConflict)
        .values(broker_id=broker_id, enterprise_uscc=body.enterprise_uscc, reason=body.reason)
        .on_conflict_do_nothing()
    )
    held = list(
        (
            await session.execute(
                select(Demand)
                .where(
                    Demand.broker_id == broker_id,
                    Demand.enterprise_uscc == body.enterprise_uscc,
                    Demand.status == "assigned",
                    Demand.stage == "assigned",
                )
                .order_by(Demand.approved_at, Demand.id)
                .with_for_update()
            )
        ).scalars()
    )
    for demand in held:
        await _unassign(session, demand, actor, "申报利益冲突，自动释放")
    if held:
        await run_assignment(session, trigger="batch", actor="system", demand_ids=[d.id for d in held])
    return held


async def usage_this_month(
    session: AsyncSession, broker_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    stmt = (
        select(Demand.broker_id, func.count())
        .where(Demand.broker_id.is_not(None), Demand.assigned_at >= month_start(datetime.now(UTC)))
        .group_by(Demand.broker_id)
    )
    if broker_ids is not None:
        stmt = stmt.where(Demand.broker_id.in_(broker_ids))
    return {bid: int(n) for bid, n in (await session.execute(stmt)).all() if bid is not None}


async def list_brokers(
    session: AsyncSession, *, industry_chain: str | None, agency: str | None, cursor: str | None, limit: int
) -> tuple[list[tuple[Broker, int]], str | None]:
    stmt = select(Broker).where(Broker.active.is_(True))
    if industry_chain:
        stmt = stmt.where(Broker.chains.contains([industry_chain]))
    if agency:
        stmt = stmt.where(Broker.agency == agency)
    rows = list(
        (await session.execute(newest_first(stmt, Broker.created_at, Broker.id, cursor, limit))).scalars()
    )
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    usage = await usage_this_month(session, [b.id for b in rows])
    return [(b, usage.get(b.id, 0)) for b in rows], next_cursor


async def _assign(
    session: AsyncSession, demand: Demand, broker: Broker, *, mode: str, actor: str, score: float | None
) -> None:
    now = datetime.now(UTC)
    demand.broker_id = broker.id
    demand.status = "assigned"
    demand.assigned_at = now
    demand.assignment_mode = mode
    await record_stage(session, demand, "assigned", actor=actor, note=f"{mode}: {broker.name}", at=now)
    await add_event(
        session,
        "matching",
        DemandAssigned(
            demand_id=str(demand.id),
            enterprise_uscc=demand.enterprise_uscc,
            broker_id=str(broker.id),
            broker_subject=broker.subject,
            agency=broker.agency,
            mode=mode,
            affinity=score,
        ),
        subject=str(demand.id),
    )


async def run_assignment(
    session: AsyncSession,
    *,
    trigger: str,
    actor: str,
    demand_ids: list[uuid.UUID] | None = None,
    limit: int = 500,
) -> tuple[AssignmentRun, list[tuple[Demand, Broker, float]], list[Demand]]:
    """Assign waiting demands (all, or the given ones) optimally; the rest stay in the queue."""
    stmt = select(Demand).where(Demand.status == "unassigned")
    if demand_ids is not None:
        stmt = stmt.where(Demand.id.in_(demand_ids))
    demands = list(
        (
            await session.execute(
                stmt.order_by(Demand.approved_at, Demand.id).limit(limit).with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    brokers = list(
        (await session.execute(select(Broker).where(Broker.active.is_(True)).order_by(Broker.id))).scalars()
    )
    # Lock the broker rows so two concurrent runs cannot both fill the same remaining capacity.
    if brokers and demands:
        await session.execute(
            select(Broker.id).where(Broker.id.in_([b.id for b in brokers])).with_for_update()
        )
    usage = await usage_this_month(session)
    capacities = [max(0, b.monthly_capacity - usage.get(b.id, 0)) for b in brokers]
    usccs = list({d.enterprise_uscc for d in demands})
    conflicts: set[tuple[uuid.UUID, str]] = (
        set(
            (row[0], row[1])
            for row in (
                await session.execute(
                    select(BrokerConflict.broker_id, BrokerConflict.enterprise_uscc).where(
                        BrokerConflict.enterprise_uscc.in_(usccs)
                    )
                )
            ).all()
        )
        if usccs
        else set()
    )
    weights = np.full((len(demands), len(brokers)), np.nan)
    for i, d in enumerate(demands):
        for j, b in enumerate(brokers):
            if capacities[j] <= 0 or b.id in d.released_by:
                continue
            a = affinity(
                demand_chain=d.industry_chain,
                demand_field=d.technical_field,
                broker_chains=b.chains,
                broker_fields=b.fields,
                certification=b.certification,
                conflicted=(b.id, d.enterprise_uscc) in conflicts,
            )
            if a is not None:
                weights[i, j] = a
    pairs = solve(weights, capacities)
    assigned: list[tuple[Demand, Broker, float]] = []
    for i, j in pairs:
        score = float(weights[i, j])
        await _assign(session, demands[i], brokers[j], mode=trigger, actor=actor, score=score)
        assigned.append((demands[i], brokers[j], score))
    taken = {id(d) for d, _, _ in assigned}
    waiting = [d for d in demands if id(d) not in taken]
    run = AssignmentRun(
        id=uuid.uuid4(),
        trigger=trigger,
        actor=actor,
        considered=len(demands),
        assigned=len(assigned),
        total_affinity_milli=round(sum(s for _, _, s in assigned) * 1000),
    )
    session.add(run)
    await session.flush()
    return run, assigned, waiting


async def claim(session: AsyncSession, demand: Demand, principal: Principal) -> Demand:
    broker = await by_subject(session, principal.subject)
    if not broker.active:
        raise BrokerInactive("经纪人已停止接单（不在岗），不能认领")
    if demand.status != "unassigned":
        raise DemandNotClaimable(
            f"需求当前状态为 {demand.status}，只能认领待分配的需求",
            allowed_next=[] if demand.stage != "intake" else ["assigned"],
        )
    conflicted = (
        await session.execute(
            select(BrokerConflict).where(
                BrokerConflict.broker_id == broker.id,
                BrokerConflict.enterprise_uscc == demand.enterprise_uscc,
            )
        )
    ).first()
    if conflicted:
        raise ConflictOfInterest("存在利益冲突，不能认领该企业的需求")
    await session.execute(select(Broker.id).where(Broker.id == broker.id).with_for_update())
    used = (await usage_this_month(session, [broker.id])).get(broker.id, 0)
    if used >= broker.monthly_capacity:
        raise CapacityExhausted(f"本月承接量已满（{used}/{broker.monthly_capacity}）")
    await _assign(session, demand, broker, mode="claim", actor=principal.subject, score=None)
    return demand


async def release(session: AsyncSession, demand: Demand, principal: Principal, note: str | None) -> Demand:
    """The broker holding the demand, or an officer, puts it back in the queue (only at stage 认领/指派). Another
    broker is refused first (403 ``not_your_demand``), whatever the demand's stage, so a refusal tells them
    nothing about a demand that is not theirs."""
    if not principal.has_role("officer"):
        broker = await by_subject(session, principal.subject)
        if broker.id != demand.broker_id:
            raise NotYourDemand("只能释放自己承接的需求")
    if demand.status != "assigned" or demand.stage != "assigned":
        raise DemandNotReleasable(
            f"只有处于“{STAGE_LABELS['assigned']}”阶段的需求可以释放",
            allowed_next=[],
        )
    await _unassign(session, demand, principal.subject, note or "释放")
    return demand


async def _unassign(session: AsyncSession, demand: Demand, actor: str, note: str) -> None:
    if demand.broker_id is not None and demand.broker_id not in demand.released_by:
        demand.released_by = [*demand.released_by, demand.broker_id]
    demand.broker_id = None
    demand.assigned_at = None
    demand.assignment_mode = None
    demand.status = "unassigned"
    await record_stage(session, demand, "intake", actor=actor, note=note, at=datetime.now(UTC))


def parse_period(period: str | None) -> tuple[datetime, datetime] | None:
    """ "2026", "2026-Q4" or "2026-11" in Asia/Shanghai → [start, end) in UTC."""
    if not period:
        return None
    try:
        if len(period) == 4:
            y = int(period)
            bounds = ((y, 1), (y + 1, 1))
        elif "-Q" in period.upper():
            y_s, q_s = period.upper().split("-Q")
            y, q = int(y_s), int(q_s)
            if not 1 <= q <= 4:
                raise ValueError
            bounds = ((y, 3 * q - 2), (y + (q == 4), 1 if q == 4 else 3 * q + 1))
        else:
            y_s, m_s = period.split("-")
            y, m = int(y_s), int(m_s)
            if not 1 <= m <= 12:
                raise ValueError
            bounds = ((y, m), (y + (m == 12), 1 if m == 12 else m + 1))
        (y0, m0), (y1, m1) = bounds
        # A year the calendar cannot hold (0000, 9999's end, 0001 before UTC) is bad input too, not a 500.
        return (
            datetime(y0, m0, 1, tzinfo=LOCAL_TZ).astimezone(UTC),
            datetime(y1, m1, 1, tzinfo=LOCAL_TZ).astimezone(UTC),
        )
    except (ValueError, OverflowError) as exc:
        raise InvalidPeriod("期间格式应为 2026、2026-Q4 或 2026-11", field="period") from exc


async def kpis(session: AsyncSession, *, group_by: str, period: str | None) -> list[KpiRow]:
    """Served = demands assigned in the period; deals, amount, reward and days-to-deal = demands closed in it.

    Days to deal run from assignment to 成交, in days with fractions; the median is the statistics.median of
    those durations, rounded to two decimals.
    """
    window = parse_period(period)
    brokers = {b.id: b for b in (await session.execute(select(Broker))).scalars()}
    rows = (
        await session.execute(
            select(
                Demand.broker_id,
                Demand.assigned_at,
                Demand.closed_at,
                Demand.contract_amount_fen,
                Demand.broker_reward_fen,
            ).where(Demand.broker_id.is_not(None))
        )
    ).all()

    def in_window(ts: datetime | None) -> bool:
        return ts is not None and (window is None or window[0] <= ts < window[1])

    served: dict[str, int] = defaultdict(int)
    deals: dict[str, int] = defaultdict(int)
    amount: dict[str, int] = defaultdict(int)
    reward: dict[str, int] = defaultdict(int)
    durations: dict[str, list[float]] = defaultdict(list)
    for broker_id, assigned_at, closed_at, amount_fen, reward_fen in rows:
        broker = brokers.get(broker_id) if broker_id is not None else None
        if broker is None:
            continue
        key = str(broker.id) if group_by == "broker" else broker.agency
        if in_window(assigned_at):
            served[key] += 1
        if closed_at is not None and in_window(closed_at):
            deals[key] += 1
            amount[key] += amount_fen or 0
            reward[key] += reward_fen or 0
            if assigned_at is not None:
                durations[key].append((closed_at - assigned_at).total_seconds() / 86400)
    keys = sorted(set(served) | set(deals))
    names = {str(b.id): (b.name, b.agency) for b in brokers.values()}
    out = []
    for key in keys:
        name, agency = names.get(key, (key, None)) if group_by == "broker" else (key, key)
        out.append(
            KpiRow(
                key=key,
                name=name,
                agency=agency,
                demands_served=served[key],
                deals=deals[key],
                contract_amount_fen=amount[key],
                reward_fen=reward[key],
                median_days_to_deal=round(statistics.median(durations[key]), 2) if durations[key] else None,
            )
        )
    out.sort(key=lambda r: (-r.deals, -r.contract_amount_fen, r.key))
    return out
