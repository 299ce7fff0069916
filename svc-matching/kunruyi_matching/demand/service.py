"""Demands: submission from the API, the 昆e服 QR page or 一企来办; officer review (审核入库); listing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.errors import NotOwnEntity, RoleRequired, ScopeDenied
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pagination import keyset_cursor, newest_first
from kunruyi_common.pii_text import TextCipher, protect_text
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker.models import Broker
from kunruyi_matching.demand.exceptions import ChannelNotAllowed, DemandNotPending, DemandNotVisible
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import DemandCreate, DemandReview
from kunruyi_matching.engagement.stages import record_stage
from kunruyi_matching.events import DemandApproved, DemandSubmitted
from kunruyi_matching.exceptions import DemandNotFound

SOURCE = "matching"
# The endpoint name the demand's Idempotency-Key answers are stored under (kunruyi_common.idempotency).
SUBMIT_ENDPOINT = "demands"


def check_submitter(principal: Principal, body: DemandCreate) -> None:
    """Who may post through which channel: QR users for their own enterprise, partners with the scope, staff."""
    if principal.kind == "public":
        if body.channel != "qr":
            raise ChannelNotAllowed("扫码用户只能通过昆e服渠道（qr）提交需求")
        if principal.target and principal.target.upper() != body.enterprise_uscc:
            raise NotOwnEntity("只能为服务码所属企业提交需求")
        return
    if principal.kind == "partner":
        if not principal.has_scope("matching:write"):
            raise ScopeDenied("需要权限 matching:write")
        if body.channel == "qr":
            raise ChannelNotAllowed("合作方不能以昆e服渠道提交")
        return
    if principal.kind == "staff" and principal.has_role("officer", "broker"):
        return
    raise RoleRequired("无权提交技术需求")


def protect(cipher: TextCipher, demand: Demand, column: str, text: str) -> tuple[str, str | None]:
    """Free text as stored: masked in clear, the original encrypted (bound to the column and the demand)."""
    protected = protect_text(text, cipher, associated_data=f"demands.{column}:{demand.id}".encode())
    return protected.masked, protected.encrypted


async def submit(
    session: AsyncSession, body: DemandCreate, principal: Principal, *, cipher: TextCipher
) -> Demand:
    """File a demand (the endpoint makes a retry with the same ``Idempotency-Key`` replay it, per caller)."""
    check_submitter(principal, body)
    demand = Demand(
        id=uuid.uuid4(),
        **body.model_dump(),
        status="pending_review",
        submitted_by=f"{principal.kind}:{principal.subject}",
    )
    demand.title, demand.title_encrypted = protect(cipher, demand, "title", demand.title)
    demand.description, demand.description_encrypted = protect(
        cipher, demand, "description", demand.description
    )
    session.add(demand)
    await session.flush()
    await add_event(
        session,
        SOURCE,
        DemandSubmitted(**_event_fields(demand), submitted_by=demand.submitted_by),
        subject=str(demand.id),
    )
    return demand


def _event_fields(demand: Demand) -> dict[str, str]:
    return {
        "demand_id": str(demand.id),
        "enterprise_uscc": demand.enterprise_uscc,
        "title": demand.title,
        "industry_chain": demand.industry_chain,
        "technical_field": demand.technical_field,
        "demand_type": demand.demand_type,
        "channel": demand.channel,
        "status": demand.status,
    }


@dataclass(frozen=True)
class Viewer:
    """Who is looking at demands, as far as visibility goes.

    ``public`` demands: every caller allowed to read demands; ``brokers``: staff (brokers, officers) and the
    submitter; ``private``: officers, the assigned broker and the submitter. A QR user sees their own
    enterprise's demands only; a partner sees public ones and the ones it submitted.
    """

    principal: Principal
    broker_id: uuid.UUID | None

    @property
    def submitter(self) -> str:
        return f"{self.principal.kind}:{self.principal.subject}"

    @property
    def sees_all(self) -> bool:
        return self.principal.kind == "staff" and self.principal.has_role("officer")

    @property
    def is_broker(self) -> bool:
        return self.principal.kind == "staff" and self.principal.has_role("broker")

    def can_see(self, demand: Demand) -> bool:
        if self.principal.kind == "public":
            return (self.principal.target or "").upper() == demand.enterprise_uscc
        if self.sees_all or demand.submitted_by == self.submitter:
            return True
        if demand.visibility == "public":
            return True
        if demand.visibility == "brokers":
            return self.is_broker
        return self.broker_id is not None and demand.broker_id == self.broker_id

    def clause(self) -> ColumnElement[bool] | None:
        """The same rule as a SQL condition (None: no restriction)."""
        if self.principal.kind == "public":
            target = (self.principal.target or "").upper()
            return Demand.enterprise_uscc == target if target else false()
        if self.sees_all:
            return None
        allowed = ["public", "brokers"] if self.is_broker else ["public"]
        conditions = [Demand.visibility.in_(allowed), Demand.submitted_by == self.submitter]
        if self.broker_id is not None:
            conditions.append(Demand.broker_id == self.broker_id)
        return or_(*conditions)


async def viewer(session: AsyncSession, principal: Principal) -> Viewer:
    broker_id = None
    if principal.kind == "staff" and principal.has_role("broker"):
        broker_id = (
            await session.execute(select(Broker.id).where(Broker.subject == principal.subject))
        ).scalar_one_or_none()
    return Viewer(principal, broker_id)


async def check_visible(session: AsyncSession, principal: Principal, demand: Demand) -> None:
    if (await viewer(session, principal)).can_see(demand):
        return
    if principal.kind == "public":
        raise NotOwnEntity("只能查看本企业的需求")
    raise DemandNotVisible(f"该需求的可见范围为 {demand.visibility}，当前账号无权查看")


async def get(session: AsyncSession, demand_id: uuid.UUID, *, for_update: bool = False) -> Demand:
    stmt = select(Demand).where(Demand.id == demand_id)
    if for_update:
        stmt = stmt.with_for_update()
    demand = (await session.execute(stmt)).scalar_one_or_none()
    if demand is None:
        raise DemandNotFound(f"技术需求 {demand_id} 不存在")
    return demand


async def review(
    session: AsyncSession,
    demand_id: uuid.UUID,
    body: DemandReview,
    principal: Principal,
    *,
    cipher: TextCipher,
) -> Demand:
    demand = await get(session, demand_id, for_update=True)
    if demand.status != "pending_review":
        raise DemandNotPending(
            f"需求当前状态为 {demand.status}，只有待审核的需求可以审核",
            allowed_next=[],
        )
    demand.reviewed_by = principal.subject
    demand.review_note, demand.review_note_encrypted = (
        protect(cipher, demand, "review_note", body.note) if body.note is not None else (None, None)
    )
    if body.decision == "reject":
        demand.status = "rejected"
        await session.flush()
        return demand
    now = datetime.now(UTC)
    demand.status = "unassigned"
    demand.approved_at = now
    await record_stage(session, demand, "intake", actor=principal.subject, note=demand.review_note, at=now)
    await add_event(
        session,
        SOURCE,
        DemandApproved(**_event_fields(demand), approved_by=principal.subject),
        subject=str(demand.id),
    )
    return demand


async def list_demands(
    session: AsyncSession,
    *,
    viewer: Viewer,
    status: str | None,
    industry_chain: str | None,
    enterprise_uscc: str | None,
    broker_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Demand], str | None]:
    stmt = select(Demand)
    restriction = viewer.clause()
    if restriction is not None:
        stmt = stmt.where(restriction)
    if status:
        stmt = stmt.where(Demand.status == status)
    if industry_chain:
        stmt = stmt.where(Demand.industry_chain == industry_chain)
    if enterprise_uscc:
        stmt = stmt.where(Demand.enterprise_uscc == enterprise_uscc.upper())
    if broker_id:
        stmt = stmt.where(Demand.broker_id == broker_id)
    rows = list(
        (await session.execute(newest_first(stmt, Demand.created_at, Demand.id, cursor, limit))).scalars()
    )
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
