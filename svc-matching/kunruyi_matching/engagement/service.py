"""Moving a demand through the engagement pipeline after it has a broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.errors import InvalidTransition
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker.models import Broker
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.engagement.exceptions import (
    AssignmentRequired,
    ContractAmountRequired,
    ContractNumberRequired,
    ContractNumberTaken,
    UnknownSupply,
)
from kunruyi_matching.engagement.models import StageRecord
from kunruyi_matching.engagement.schemas import EngagementOut, StageChange, StageRecordOut
from kunruyi_matching.engagement.stages import STAGE_LABELS, allowed_next, broker_reward_fen, record_stage
from kunruyi_matching.exceptions import DemandNotFound, NotYourDemand
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.models import SupplyEntity


async def _check_actor(session: AsyncSession, demand: Demand, principal: Principal) -> None:
    if principal.has_role("officer"):
        return
    broker = (
        await session.execute(select(Broker).where(Broker.subject == principal.subject))
    ).scalar_one_or_none()
    if broker is None or broker.id != demand.broker_id:
        raise NotYourDemand("只有承接该需求的经纪人或工作人员可以推进流程")


async def change_stage(
    session: AsyncSession, demand: Demand, body: StageChange, principal: Principal, settings: Settings
) -> Demand:
    await _check_actor(session, demand, principal)
    nexts = allowed_next(demand.stage)
    if body.stage not in nexts:
        labels = "、".join(f"{s}（{STAGE_LABELS[s]}）" for s in nexts) or "无"
        raise InvalidTransition(
            f"不能从“{STAGE_LABELS.get(demand.stage or '', '未入库')}”进入“{STAGE_LABELS[body.stage]}”；允许的下一阶段：{labels}",
            title="阶段变更顺序不正确",
            allowed_next=nexts,
        )
    if body.stage == "assigned":
        raise AssignmentRequired(
            "需求需经认领（POST /api/v1/demands/{id}/claim）或指派（POST /api/v1/assignments/runs）进入该阶段",
            allowed_next=nexts,
        )
    now = datetime.now(UTC)
    if body.stage == "recommended" and body.supply_id is not None:
        if await session.get(SupplyEntity, body.supply_id) is None:
            raise UnknownSupply(f"供给方 {body.supply_id} 不存在", field="supply_id")
        demand.matched_supply_id = body.supply_id
    if body.stage == "contract_registered":
        if not body.contract_number:
            raise ContractNumberRequired("技术合同登记需要合同登记编号", field="contract_number")
        if body.contract_amount_fen is None:
            raise ContractAmountRequired("技术合同登记需要合同金额（分）", field="contract_amount_fen")
        taken = (
            await session.execute(
                select(Demand.id).where(
                    Demand.contract_number == body.contract_number, Demand.id != demand.id
                )
            )
        ).first()
        if taken:
            raise ContractNumberTaken(f"合同登记编号 {body.contract_number} 已被使用")
        demand.contract_number = body.contract_number
        demand.contract_amount_fen = body.contract_amount_fen
        demand.broker_reward_fen = broker_reward_fen(
            body.contract_amount_fen, settings.broker_reward_rate, settings.broker_reward_cap_fen
        )
    if body.stage == "closed":
        demand.status = "closed"
        demand.closed_at = now
        if demand.matched_supply_id is not None:
            # A past deal is a ranking signal; bumping the version lets the index pick the change up.
            await session.execute(
                update(SupplyEntity)
                .where(SupplyEntity.id == demand.matched_supply_id)
                .values(
                    deals_count=SupplyEntity.deals_count + 1,
                    version=SupplyEntity.version + 1,
                    updated_at=func.now(),
                )
            )
    await record_stage(session, demand, body.stage, actor=principal.subject, note=body.note, at=now)
    return demand


async def engagement_view(session: AsyncSession, demand: Demand) -> EngagementOut:
    records = (
        await session.execute(
            select(StageRecord)
            .where(StageRecord.demand_id == demand.id)
            .order_by(StageRecord.at, StageRecord.id)
        )
    ).scalars()
    history = []
    for r in records:
        out = StageRecordOut.model_validate(r)
        out.label = STAGE_LABELS.get(r.stage, r.stage)
        history.append(out)
    nexts = allowed_next(demand.stage) if demand.status != "closed" else []
    return EngagementOut(
        demand_id=demand.id,
        stage=demand.stage,
        stage_label=STAGE_LABELS.get(demand.stage or "") if demand.stage else None,
        status=demand.status,
        allowed_next=nexts,
        allowed_next_labels={s: STAGE_LABELS.get(s, s) for s in nexts},
        broker_id=demand.broker_id,
        contract_number=demand.contract_number,
        contract_amount_fen=demand.contract_amount_fen,
        broker_reward_fen=demand.broker_reward_fen,
        history=history,
    )


async def demand_or_404(session: AsyncSession, demand_id: uuid.UUID) -> Demand:
    demand = (
        await session.execute(select(Demand).where(Demand.id == demand_id).with_for_update())
    ).scalar_one_or_none()
    if demand is None:
        raise DemandNotFound(f"技术需求 {demand_id} 不存在")
    return demand
