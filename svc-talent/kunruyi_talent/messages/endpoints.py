from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.clock import LOCAL_TZ
from kunruyi_common.db import SessionDep
from kunruyi_common.pagination import keyset_cursor

from kunruyi_talent.deps import SettingsDep
from kunruyi_talent.messages import repository, service
from kunruyi_talent.messages.auth import Admin, Recipient
from kunruyi_talent.messages.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryStats,
    DeliveryStatus,
    KindStats,
    MessageKind,
    MessageOut,
    MessagePage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
)
from kunruyi_talent.messages.templates import TEMPLATES
from kunruyi_talent.models import SmsDelivery

router = APIRouter(prefix="/api/v1/messages", tags=["消息 messages"])
staff_router = APIRouter(prefix="/api/v1/message-deliveries", tags=["消息 messages"])

Limit = Annotated[int, Query(ge=1, le=100)]
# Dates in the statistics (Beijing dates): within the platform's life, so a boundary never overflows a timestamp.
StatsDate = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2199, 12, 31))]


@router.get("", response_model=MessagePage, summary="本人的消息（新的在前）与未读数")
async def list_messages(
    session: SessionDep,
    recipient: Recipient,
    unread_only: bool = False,
    limit: Limit = 20,
    cursor: str | None = None,
) -> MessagePage:
    rows = await repository.page(session, recipient, unread_only=unread_only, cursor=cursor, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        items=[service.message_out(m) for m in rows],
        next_cursor=keyset_cursor(rows[-1].created_at, rows[-1].id) if more else None,
        unread=await repository.unread_count(session, recipient),
    )


@router.post("/read-all", response_model=ReadAllOut, summary="全部标为已读")
async def read_all(session: SessionDep, recipient: Recipient) -> ReadAllOut:
    return ReadAllOut(marked=await repository.mark_all_read(session, recipient, datetime.now(UTC)))


@router.get("/preferences", response_model=PreferencesOut, summary="本人的短信通知设置")
async def get_preferences(session: SessionDep, recipient: Recipient, settings: SettingsDep) -> PreferencesOut:
    return await service.preferences_out(session, recipient, settings.sms_default_quiet_hours)


@router.put("/preferences", response_model=PreferencesOut, summary="设置哪些消息同时发短信、免打扰时段")
async def put_preferences(session: SessionDep, recipient: Recipient, body: PreferencesIn) -> PreferencesOut:
    return await service.set_preferences(session, recipient, body)


@router.post("/{message_id}/read", response_model=MessageOut, summary="标为已读")
async def read_message(session: SessionDep, recipient: Recipient, message_id: uuid.UUID) -> MessageOut:
    return service.message_out(await service.mark_read(session, recipient, message_id))


def _label(kind: str) -> str:
    template = TEMPLATES.get(kind)
    return template.label if template else kind


def _delivery_out(d: SmsDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        message_id=d.message_id,
        kind=d.kind,
        kind_label=_label(d.kind),
        template=d.template,
        phone=d.phone_masked,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        provider_message_id=d.provider_message_id,
        created_at=d.created_at,
        next_attempt_at=d.next_attempt_at,
        sent_at=d.sent_at,
    )


@staff_router.get("", response_model=DeliveryPage, summary="短信发送记录（管理员；手机号脱敏）")
async def list_deliveries(
    session: SessionDep,
    _admin: Admin,
    status: DeliveryStatus | None = None,
    kind: MessageKind | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    rows = await repository.deliveries_page(session, status=status, kind=kind, cursor=cursor, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[_delivery_out(d) for d in rows],
        next_cursor=keyset_cursor(rows[-1].created_at, rows[-1].id) if more else None,
    )


@staff_router.get("/stats", response_model=DeliveryStats, summary="短信送达统计（管理员）")
async def delivery_stats(
    session: SessionDep, _admin: Admin, date_from: StatsDate = None, date_to: StatsDate = None
) -> DeliveryStats:
    start = datetime.combine(date_from, time(), LOCAL_TZ) if date_from else None
    end = (
        datetime.combine(date_to, time(), LOCAL_TZ) + timedelta(days=1)
        if date_to and date_to < date.max
        else None
    )
    per_kind: dict[str, dict[str, int]] = {}
    for kind, status, n in await repository.delivery_counts(session, start, end):
        per_kind.setdefault(kind, {}).setdefault(status, 0)
        per_kind[kind][status] += n
    by_kind = [
        KindStats(
            kind=kind,
            kind_label=_label(kind),
            total=sum(counts.values()),
            queued=counts.get("queued", 0),
            sent=counts.get("sent", 0),
            delivered=counts.get("delivered", 0),
            undelivered=counts.get("undelivered", 0),
            failed=counts.get("failed", 0),
        )
        for kind, counts in sorted(per_kind.items())
    ]
    sent = sum(k.sent for k in by_kind)
    delivered = sum(k.delivered for k in by_kind)
    undelivered = sum(k.undelivered for k in by_kind)
    failed = sum(k.failed for k in by_kind)
    ok, done = sent + delivered, sent + delivered + undelivered + failed
    return DeliveryStats(
        total=sum(k.total for k in by_kind),
        queued=sum(k.queued for k in by_kind),
        sent=sent,
        delivered=delivered,
        undelivered=undelivered,
        failed=failed,
        delivery_rate=round(ok / done, 4) if done else None,
        by_kind=by_kind,
    )
