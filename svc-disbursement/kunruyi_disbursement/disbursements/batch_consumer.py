"""The entitlement consumer, batched: up to ``entitlement_batch_size`` messages per transaction.

Same contract as the common inbox consumer (kunruyi_common.events.inbox): a durable pull consumer, each event id
recorded in ``inbox_events`` in the transaction of its effects, acks only after commit, so a redelivery changes
nothing. What differs is the unit of work: one transaction and a few set-based statements per batch instead of a
dozen statements and a commit per event — the difference between tens and hundreds of payments per second. If a
batch fails, its messages are retried one by one through the single-event handler, which isolates a poison message
and dead-letters it after ``max_deliver`` attempts, as the common consumer does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kunruyi_common.background import stop_task
from kunruyi_common.events.bus import EventBus, ensure_stream
from kunruyi_common.events.envelope import DLQ_SUBJECT_PREFIX, CloudEvent, stream_name, stream_subjects
from kunruyi_common.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_disbursement.disbursements.batch import intake_entitlements
from kunruyi_disbursement.disbursements.consumer import ENTITLEMENT_DETERMINED, on_entitlement_determined
from kunruyi_disbursement.disbursements.service import EntitlementDetermined
from kunruyi_disbursement.settings import Settings

logger = logging.getLogger("kunruyi.disbursement.entitlements")
DURABLE = "disbursement-entitlements"


class EntitlementBatchConsumer:
    def __init__(
        self,
        bus: EventBus,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        after_commit: Callable[[], None],
    ) -> None:
        self.bus = bus
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.after_commit = after_commit
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consumer-disbursement-entitlements")

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _subscribe(self) -> Any:
        js = self.bus.js
        await ensure_stream(js, stream_name("policy"), stream_subjects("policy"))
        await js.add_consumer(
            stream_name("policy"),
            ConsumerConfig(
                durable_name=DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=self.settings.consumer_max_deliver,
                ack_wait=self.settings.consumer_ack_wait_s,
                filter_subjects=[ENTITLEMENT_DETERMINED],
                max_ack_pending=max(1000, 2 * self.settings.entitlement_batch_size),
            ),
        )
        return await js.pull_subscribe_bind(durable=DURABLE, stream=stream_name("policy"))

    async def _run(self) -> None:
        sub = None
        while True:
            if not self.bus.connected:
                await asyncio.sleep(0.2)
                continue
            try:
                if sub is None:
                    sub = await self._subscribe()
                    logger.info("entitlement consumer ready")
                try:
                    msgs = await sub.fetch(self.settings.entitlement_batch_size, timeout=1.0)
                except (NatsTimeoutError, TimeoutError):
                    continue
                await self.handle_batch(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("entitlement consumer re-subscribing after error: %s", exc)
                sub = None
                await asyncio.sleep(0.5)

    async def handle_batch(self, msgs: list[Msg]) -> None:
        events: list[tuple[Msg, CloudEvent]] = []
        for msg in msgs:
            try:
                events.append((msg, CloudEvent.model_validate_json(msg.data)))
            except ValidationError as exc:
                await self._dead_letter(msg, f"malformed envelope: {exc}")
        if not events:
            return
        try:
            async with self.sessionmaker() as session, session.begin():
                fresh = set(
                    (
                        await session.execute(
                            text(
                                "INSERT INTO inbox_events (consumer, event_id, type) SELECT :c, e, :t "
                                "FROM unnest(CAST(:ids AS text[])) AS e ON CONFLICT DO NOTHING RETURNING event_id"
                            ),
                            {"c": DURABLE, "t": ENTITLEMENT_DETERMINED, "ids": [e.id for _, e in events]},
                        )
                    ).scalars()
                )
                items, seen = [], set()
                for _, event in events:
                    if event.id in fresh and event.id not in seen and event.type == ENTITLEMENT_DETERMINED:
                        seen.add(event.id)
                        items.append(EntitlementDetermined.model_validate(event.data))
                await intake_entitlements(
                    session, items, auto_approve_max_fen=self.settings.auto_approve_max_fen
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("entitlement batch of %d failed (%s); retrying one by one", len(events), exc)
            for msg, event in events:
                await self._handle_one(msg, event)
            return
        # Ack first, then wake the payment worker: acks are what a crash must not lose.
        for msg, _ in events:
            await msg.ack()
        if self.bus.nc is not None:
            # One round trip makes sure the server has the acks before anything else happens.
            await self.bus.nc.flush(timeout=5)
        self.after_commit()
        EVENTS_CONSUMED.labels("disbursement", DURABLE, "handled").inc(len(fresh))
        EVENTS_CONSUMED.labels("disbursement", DURABLE, "duplicate").inc(len(events) - len(fresh))

    async def _handle_one(self, msg: Msg, event: CloudEvent) -> None:
        try:
            async with self.sessionmaker() as session, session.begin():
                first = (
                    await session.execute(
                        text(
                            "INSERT INTO inbox_events (consumer, event_id, type) VALUES (:c, :e, :t) "
                            "ON CONFLICT DO NOTHING RETURNING event_id"
                        ),
                        {"c": DURABLE, "e": event.id, "t": event.type},
                    )
                ).first()
                if first is not None:
                    await on_entitlement_determined(session, event)
            await msg.ack()
            self.after_commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delivered = msg.metadata.num_delivered if msg.metadata else 1
            if delivered >= self.settings.consumer_max_deliver:
                logger.error(
                    "entitlement event %s failed %d times, dead-lettering: %s", event.id, delivered, exc
                )
                await self._dead_letter(msg, repr(exc))
            else:
                logger.warning("entitlement event %s failed (delivery %d): %s", event.id, delivered, exc)
                await msg.nak(delay=min(0.2 * 2**delivered, 30.0))

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = {
            "Nats-Msg-Id": f"{DURABLE}:{msg.metadata.sequence.stream if msg.metadata else 'unknown'}",
            "Kry-Original-Subject": msg.subject,
            "Kry-Consumer": DURABLE,
            "Kry-Error": reason[:1000].replace("\n", " "),
        }
        await self.bus.js.publish(f"{DLQ_SUBJECT_PREFIX}.{DURABLE}", msg.data, headers=headers, timeout=5.0)
        EVENTS_DEAD_LETTERED.labels("disbursement", DURABLE).inc()
        await msg.term()
