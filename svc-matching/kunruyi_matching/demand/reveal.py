"""Reveal: the staff handling a demand (officers; the broker it is assigned to) see its masked free text in clear,
with a reason, and every reveal is recorded; officers list the records."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from kunruyi_common.auth import Principal
from kunruyi_common.db import SessionDep
from kunruyi_common.pii_text import TextCipher, TextCipherDep, mask_pii, reveal_text
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.demand import service
from kunruyi_matching.demand.auth import BrokerOrOfficer, Officer
from kunruyi_matching.demand.exceptions import NotHandlingStaff
from kunruyi_matching.demand.models import Demand, DemandReveal

router = APIRouter(prefix="/api/v1/demands", tags=["技术需求 demands"])


class RevealIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "联系需求企业确认技术参数"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    reason: str = Field(min_length=2, max_length=500, description="查看原文的事由（记入审计）")


class RevealOut(BaseModel):
    demand_id: uuid.UUID
    audit_id: int
    revealed_at: datetime
    title: str
    description: str
    review_note: str | None
    contact_name: str | None = Field(default=None, description="联系人")
    contact_phone: str | None = Field(default=None, description="联系电话（原文）")


class RevealRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    demand_id: uuid.UUID
    actor: str
    actor_name: str | None
    reason: str
    at: datetime


def _clear(
    cipher: TextCipher, demand: Demand, column: str, masked: str | None, encrypted: str | None
) -> str | None:
    if masked is None:
        return None
    return reveal_text(masked, encrypted, cipher, associated_data=f"demands.{column}:{demand.id}".encode())


async def reveal(
    session: AsyncSession, cipher: TextCipher, demand: Demand, reason: str, principal: Principal
) -> tuple[DemandReveal, RevealOut]:
    viewer = await service.viewer(session, principal)
    if not (viewer.sees_all or (viewer.broker_id is not None and demand.broker_id == viewer.broker_id)):
        raise NotHandlingStaff("只有审核人员和承接该需求的经纪人可以查看原文")
    record = DemandReveal(
        demand_id=demand.id,
        actor=f"{principal.kind}:{principal.subject}",
        actor_name=(principal.name or "")[:60] or None,
        # The reason is free text too; it is kept masked only.
        reason=mask_pii(reason),
    )
    session.add(record)
    await session.flush()
    out = RevealOut(
        demand_id=demand.id,
        audit_id=record.id,
        revealed_at=record.at,
        title=_clear(cipher, demand, "title", demand.title, demand.title_encrypted) or "",
        description=_clear(cipher, demand, "description", demand.description, demand.description_encrypted)
        or "",
        review_note=_clear(cipher, demand, "review_note", demand.review_note, demand.review_note_encrypted),
        contact_name=demand.contact_name,
        contact_phone=service.reveal_contact_phone(cipher, demand),
    )
    return record, out


@router.post(
    "/{demand_id}/reveal",
    response_model=RevealOut,
    summary="审核人员或承接经纪人查看需求中被脱敏的原文与联系人电话（须填事由，记入审计）",
)
async def reveal_demand(
    demand_id: uuid.UUID,
    body: RevealIn,
    session: SessionDep,
    cipher: TextCipherDep,
    principal: BrokerOrOfficer,
    response: Response,
) -> RevealOut:
    response.headers["Cache-Control"] = "no-store"
    demand = await service.get(session, demand_id)
    _, out = await reveal(session, cipher, demand, body.reason, principal)
    return out


@router.get("/{demand_id}/reveals", response_model=list[RevealRecord], summary="需求原文查看记录（审核人员）")
async def list_reveals(
    demand_id: uuid.UUID,
    session: SessionDep,
    principal: Officer,
) -> list[RevealRecord]:
    await service.get(session, demand_id)
    rows = await session.scalars(
        select(DemandReveal).where(DemandReveal.demand_id == demand_id).order_by(DemandReveal.id.desc())
    )
    return [RevealRecord.model_validate(r) for r in rows]
