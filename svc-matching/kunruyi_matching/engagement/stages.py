"""The engagement pipeline: 需求入库 → 认领/指派 → 推荐对接 → 洽谈 → 签约 → 技术合同登记 → 成交.

Each stage may only follow the one before it (release is the one way back: 认领/指派 → 需求入库). Every move is a
row in ``engagement_stage_records`` and a ``kunruyi.matching.engagement.stage_changed`` event, written in the
caller's transaction. Every note goes through :func:`record_stage`, which masks the personal numbers a broker or
officer typed into it (``kunruyi_common.pii_text``) before the row, the event and every answer see it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import mask_pii
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.demand.models import Demand
from kunruyi_matching.engagement.models import StageRecord
from kunruyi_matching.events import EngagementStageChanged

STAGES = ("intake", "assigned", "recommended", "negotiating", "signed", "contract_registered", "closed")
STAGE_LABELS = {
    "intake": "需求入库",
    "assigned": "认领/指派",
    "recommended": "推荐对接",
    "negotiating": "洽谈",
    "signed": "签约",
    "contract_registered": "技术合同登记",
    "closed": "成交",
}


def allowed_next(stage: str | None) -> list[str]:
    if stage is None:
        return []
    i = STAGES.index(stage)
    return list(STAGES[i + 1 : i + 2])


def broker_reward_fen(amount_fen: int, rate: Decimal, cap_fen: int) -> int:
    """min(cap, amount × rate), the product rounded half-up to a whole fen (e.g. 1.5 % of 333 fen = 4.995 → 5)."""
    reward = (Decimal(amount_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(min(Decimal(cap_fen), reward))


async def record_stage(
    session: AsyncSession, demand: Demand, stage: str, *, actor: str, note: str | None, at: datetime
) -> StageRecord:
    # A stage note is typed by people ("已联系 138…"): resident IDs, phones and card numbers in it are masked here,
    # the one place every note passes (stage changes, release, assignment, the review's intake), before the row and
    # the event are written. The original is not kept: the filer's contact stays with the demand (reveal).
    note = mask_pii(note) if note is not None else None
    previous = demand.stage
    demand.stage = stage
    demand.version += 1
    record = StageRecord(
        demand_id=demand.id, stage=stage, previous_stage=previous, actor=actor, note=note, at=at
    )
    session.add(record)
    await session.flush()
    await add_event(
        session,
        "matching",
        EngagementStageChanged(
            demand_id=str(demand.id),
            stage=stage,
            previous_stage=previous,
            actor=actor,
            note=note,
            at=at,
            broker_id=str(demand.broker_id) if demand.broker_id else None,
            contract_number=demand.contract_number,
            contract_amount_fen=demand.contract_amount_fen,
            broker_reward_fen=demand.broker_reward_fen,
        ),
        subject=str(demand.id),
    )
    return record
