"""Demands: submission from the API, the 昆e服 QR page or 一企来办; officer review (审核入库); listing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_date
from kunruyi_common.crypto import mask_phone
from kunruyi_common.errors import NotOwnEntity, RoleRequired, ScopeDenied
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pagination import keyset_cursor, newest_first
from kunruyi_common.pii_text import TextCipher, mask_pii, protect_text
from sqlalchemy import ColumnElement, false, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker.models import Broker
from kunruyi_matching.demand.exceptions import (
    ChannelNotAllowed,
    ContactRequired,
    DemandLookupFailed,
    DemandNotPending,
    DemandNotVisible,
)
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import DemandCreate, DemandReview
from kunruyi_matching.engagement.stages import record_stage
from kunruyi_matching.events import DemandApproved, DemandSubmitted
from kunruyi_matching.exceptions import DemandNotFound

SOURCE = "matching"
# The endpoint name the demand's Idempotency-Key answers are stored under (kunruyi_common.idempotency).
SUBMIT_ENDPOINT = "demands"


def check_submitter(principal: Principal, body: DemandCreate) -> None:
    """Who may post through which channel: QR users for their own enterprise, partners with the scope, staff.
    The ``activity`` channel is only svc-talent's lead conversion (an event, not an API call)."""
    if body.channel == "activity":
        raise ChannelNotAllowed("活动线索渠道（activity）由活动线索转化自动提交，不能直接提交")
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


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def phone_ad(demand_id: uuid.UUID) -> bytes:
    """The contact phone is bound to its demand (kunruyi_matching.pii declares the column)."""
    return f"demands.contact_phone:{demand_id}".encode()


def verified_submitter(principal: Principal, uscc: str) -> bool:
    """Whether whoever files the demand is known to speak for the company: a company signed in through 苏商通 as
    that company, a partner, staff. A 昆e服 visitor (a park's code, or a company's printed code) is not."""
    if principal.kind in ("staff", "partner"):
        return True
    return principal.signed_in_enterprise == uscc


async def submit(
    session: AsyncSession,
    body: DemandCreate,
    principal: Principal,
    *,
    cipher: TextCipher,
    lead_id: str | None = None,
) -> tuple[Demand, str]:
    """File a demand (the endpoint makes a retry with the same ``Idempotency-Key`` replay it, per caller): the
    demand and its query code (given once; only its hash is kept). ``lead_id``: filed from svc-talent's activity
    lead (the consumer, channel ``activity``), not by a caller."""
    if lead_id is None:
        check_submitter(principal, body)
    if body.channel == "qr":
        for name in ("contact_name", "contact_phone"):
            if not getattr(body, name):
                raise ContactRequired("请填写联系人和联系电话，以便技术经纪人联系", field=name)
    now = datetime.now(UTC)
    seq = await session.scalar(text("SELECT nextval('demand_number_seq')"))
    secret = secrets.token_urlsafe(12)
    fields = body.model_dump(exclude={"contact_phone"})
    demand = Demand(
        id=uuid.uuid4(),
        **fields,
        demand_number=f"XQ{local_date(now):%Y%m%d}{int(seq or 0):06d}",
        access_secret_hash=hash_secret(secret),
        submitter_verified=verified_submitter(principal, body.enterprise_uscc),
        status="pending_review",
        submitted_by=f"{principal.kind}:{principal.subject}",
        lead_id=lead_id,
    )
    if body.contact_phone:
        demand.contact_phone_encrypted = cipher.encrypt(
            body.contact_phone, associated_data=phone_ad(demand.id)
        )
        demand.contact_phone_masked = mask_phone(body.contact_phone)
    demand.title, demand.title_encrypted = protect(cipher, demand, "title", demand.title)
    demand.description, demand.description_encrypted = protect(
        cipher, demand, "description", demand.description
    )
    # The region is typed too (32 characters, e.g. "昆山 联系 138…"): masked, nothing worth keeping encrypted.
    demand.region = mask_pii(demand.region)
    session.add(demand)
    await session.flush()
    await add_event(
        session,
        SOURCE,
        DemandSubmitted(**_event_fields(demand), submitted_by=demand.submitted_by),
        subject=str(demand.id),
    )
    return demand, secret


async def get_for_filer(session: AsyncSession, number: str, secret: str) -> Demand:
    demand = await session.scalar(select(Demand).where(Demand.demand_number == number))
    # The same answer for a wrong number and a wrong code, so numbers cannot be probed.
    if (
        demand is None
        or demand.access_secret_hash is None
        or not hmac.compare_digest(demand.access_secret_hash, hash_secret(secret))
    ):
        raise DemandLookupFailed("需求编号或查询码不正确")
    return demand


def reveal_contact_phone(cipher: TextCipher, demand: Demand) -> str | None:
    if demand.contact_phone_encrypted is None:
        return None
    return cipher.decrypt(demand.contact_phone_encrypted, associated_data=phone_ad(demand.id))


def _event_fields(demand: Demand) -> dict[str, Any]:
    return {
        "lead_id": demand.lead_id,
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
    demand_ids: list[uuid.UUID] | None = None,
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
    if demand_ids:
        stmt = stmt.where(Demand.id.in_(demand_ids))
    rows = list(
        (await session.execute(newest_first(stmt, Demand.created_at, Demand.id, cursor, limit))).scalars()
    )
    next_cursor = keyset_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
