"""The events the indicator system keeps values from: svc-disbursement's ``payment.settled`` (the payouts
indicator) and svc-matching's ``challenge.awarded`` (新增“揭榜挂帅”攻关项目). This service's own view of the producer's payload (checked against the producer's registered schema
by the contract tests); a redelivered event is dropped by the kit's inbox, and the payment id is the key."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from kunruyi_common.clock import local_date
from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import IndicatorChallenge, IndicatorPayment

PAYMENT_SETTLED = "kunruyi.disbursement.payment.settled"
CHALLENGE_AWARDED = "kunruyi.matching.challenge.awarded"


class SettledPayment(BaseModel):
    disbursement_id: str
    policy_code: str
    entity_type: str
    entity_id: str
    amount_fen: int
    mode: Literal["automatic", "application"]
    settled_at: datetime | None


async def on_payment_settled(session: AsyncSession, event: CloudEvent) -> None:
    data = SettledPayment.model_validate(event.data)
    stmt = insert(IndicatorPayment).values(
        disbursement_id=data.disbursement_id,
        policy_code=data.policy_code,
        entity_type=data.entity_type,
        entity_id=data.entity_id,
        amount_fen=data.amount_fen,
        mode=data.mode,
        settled_on=local_date(data.settled_at or event.time),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["disbursement_id"]))


class AwardedChallenge(BaseModel):
    challenge_id: str
    title: str
    publisher_uscc: str | None = None


async def on_challenge_awarded(session: AsyncSession, event: CloudEvent) -> None:
    """A challenge awarded to a team becomes a 攻关项目 on the day it was awarded (Beijing date); the challenge
    id is the key, so a redelivery counts nothing twice."""
    data = AwardedChallenge.model_validate(event.data)
    stmt = insert(IndicatorChallenge).values(
        challenge_id=data.challenge_id,
        title=data.title[:200],
        publisher_uscc=data.publisher_uscc,
        awarded_on=local_date(event.time),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["challenge_id"]))


HANDLERS = {PAYMENT_SETTLED: on_payment_settled}
SCHEMAS: dict[str, type[BaseModel]] = {PAYMENT_SETTLED: SettledPayment}
MATCHING_HANDLERS = {CHALLENGE_AWARDED: on_challenge_awarded}
MATCHING_SCHEMAS: dict[str, type[BaseModel]] = {CHALLENGE_AWARDED: AwardedChallenge}
