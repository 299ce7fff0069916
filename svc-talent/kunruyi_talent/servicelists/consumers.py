"""The read models of the three lists, kept from other services' events — never by reading their tables:

- svc-matching's ``demand.submitted|approved`` → ``need_demands`` (technology demands in the 需求清单; a demand made
  from an activity lead carries the lead's id, and the lead learns its demand id here);
- svc-policy's ``reach.gained`` / ``reach.lost`` → ``policy_matches`` (the policies matched to a company or talent,
  对策清单; a lost match stays as a ``lost`` row, so a gained event delivered late — after the loss — cannot bring it
  back: each event applies only when it is newer than the row).

Each model below is this service's own view of the producer's payload (the contract tests check it against the
producer's registered schema); a redelivery is dropped by the kit's inbox and the upserts are keyed anyway."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.events.envelope import CloudEvent
from kunruyi_common.pii_text import mask_pii
from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import ActivityLead, NeedDemand, PolicyMatch

DEMAND_SUBMITTED = "kunruyi.matching.demand.submitted"
DEMAND_APPROVED = "kunruyi.matching.demand.approved"
REACH_GAINED = "kunruyi.policy.reach.gained"
REACH_LOST = "kunruyi.policy.reach.lost"
LOST = "lost"


class TechnologyDemand(BaseModel):
    demand_id: str
    enterprise_uscc: str
    title: str
    industry_chain: str
    technical_field: str
    demand_type: str
    channel: str
    status: str
    lead_id: str | None = None


class PolicyReach(BaseModel):
    policy_code: str
    policy_title: str
    department: str
    entity_type: str
    entity_id: str
    status: str


class PolicyReachLost(BaseModel):
    policy_code: str
    policy_title: str
    department: str
    entity_type: str
    entity_id: str


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def on_demand(session: AsyncSession, event: CloudEvent) -> None:
    data = TechnologyDemand.model_validate(event.data)
    lead_id = _uuid(data.lead_id)
    values = {
        "demand_id": data.demand_id,
        "enterprise_uscc": data.enterprise_uscc,
        "title": mask_pii(data.title)[:200],
        "industry_chain": data.industry_chain,
        "technical_field": data.technical_field,
        "demand_type": data.demand_type,
        "channel": data.channel,
        "status": data.status,
        "lead_id": lead_id,
    }
    stmt = insert(NeedDemand).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["demand_id"],
            set_={"status": stmt.excluded.status, "title": stmt.excluded.title},
        )
    )
    if lead_id is not None:
        await session.execute(
            update(ActivityLead)
            .where(ActivityLead.id == lead_id, ActivityLead.demand_id.is_(None))
            .values(demand_id=data.demand_id)
        )


def _match_row(data: PolicyReach | PolicyReachLost, status: str, at: datetime) -> dict[str, object]:
    return {
        "entity_type": data.entity_type,
        "entity_id": data.entity_id,
        "policy_code": data.policy_code,
        "policy_title": data.policy_title[:200],
        "department": data.department[:40],
        "status": status,
        "matched_at": at,
    }


async def _upsert_matches(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Upsert the matches, except where the row already holds a newer event (redeliveries and replicas reorder
    them)."""
    stmt = insert(PolicyMatch).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["entity_type", "entity_id", "policy_code"],
            set_={
                "policy_title": stmt.excluded.policy_title,
                "status": stmt.excluded.status,
                "matched_at": stmt.excluded.matched_at,
            },
            where=PolicyMatch.matched_at <= stmt.excluded.matched_at,
        )
    )


def _reach_row(event: CloudEvent) -> tuple[tuple[str, str, str], datetime, dict[str, object]]:
    """The match an event sets: its key, its time and the row."""
    at = event.time or datetime.now(UTC)
    data: PolicyReach | PolicyReachLost
    if event.type == REACH_LOST:
        data = PolicyReachLost.model_validate(event.data)
        status = LOST
    else:
        data = PolicyReach.model_validate(event.data)
        status = data.status
    return (data.entity_type, data.entity_id, data.policy_code), at, _match_row(data, status, at)


async def on_reach(session: AsyncSession, event: CloudEvent) -> None:
    await _upsert_matches(session, [_reach_row(event)[2]])


async def on_reach_many(session: AsyncSession, events: list[CloudEvent]) -> None:
    """A fetch of reach events in one statement (a registered talent comes into reach of ten policies at once).
    One row per match — the newest event's; a statement cannot change a row twice — in key order, so replicas
    applying overlapping fetches take the rows' locks in the same order."""
    newest: dict[tuple[str, str, str], tuple[datetime, dict[str, object]]] = {}
    for event in events:
        key, at, row = _reach_row(event)
        if key not in newest or newest[key][0] <= at:
            newest[key] = (at, row)
    await _upsert_matches(session, [newest[key][1] for key in sorted(newest)])


MATCHING_HANDLERS = {DEMAND_SUBMITTED: on_demand, DEMAND_APPROVED: on_demand}
MATCHING_SCHEMAS: dict[str, type[BaseModel]] = {
    DEMAND_SUBMITTED: TechnologyDemand,
    DEMAND_APPROVED: TechnologyDemand,
}
POLICY_HANDLERS = {REACH_GAINED: on_reach, REACH_LOST: on_reach}
POLICY_BATCH_HANDLERS = {REACH_GAINED: on_reach_many, REACH_LOST: on_reach_many}
POLICY_SCHEMAS: dict[str, type[BaseModel]] = {REACH_GAINED: PolicyReach, REACH_LOST: PolicyReachLost}
