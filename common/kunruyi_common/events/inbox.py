"""Inbox consumer: durable pull consumer, the event id recorded in the same transaction as the effect.

A message is acked only after its transaction commits, so a crash redelivers it, and the inbox row makes the
redelivery a no-op. A handler that keeps failing is retried with back-off up to ``max_deliver`` times; the
last failure copies the message to the dead-letter stream (``kunruyi_dlq.<consumer>``), counts it on a metric,
and terminates it so it stops blocking the consumer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_common.background import stop_task
from kunruyi_common.events.bus import EventBus, ensure_stream
from kunruyi_common.events.envelope import DLQ_SUBJECT_PREFIX, CloudEvent, stream_name, stream_subjects
from kunruyi_common.logging import reset_request_context, set_request_context
from kunruyi_common.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED

logger = logging.getLogger("kunruyi.inbox")

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class EventConsumer:
    """Consumes one producer's stream with a durable pull consumer named ``<service>-<name>``."""

    def __init__(
        self,
        *,
        bus: EventBus,
        sessionmaker: async_sessionmaker[AsyncSession],
        service: str,
        name: str,
        producer: str,
        handlers: Mapping[str, Handler],
        max_deliver: int = 5,
        ack_wait_s: float = 30.0,
        batch_size: int = 50,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.bus = bus
        self.sessionmaker = sessionmaker
        self.service = service
        self.durable = f"{service}-{name}"
        self.producer = producer
        self.stream = stream_name(producer)
        self.handlers = dict(handlers)
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.batch_size = batch_size
        self.after_commit = after_commit
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        self._stopping = True
        await stop_task(self._task)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = self.bus.js
        # The consumer side also makes the stream, so start-up order between services does not matter.
        await ensure_stream(js, self.stream, stream_subjects(self.producer))
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            filter_subjects=sorted(self.handlers),
            max_ack_pending=1000,
        )
        await js.add_consumer(self.stream, config)
        return await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)

    async def _run(self) -> None:
        sub = None
        while not self._stopping:
            if not self.bus.connected:
                await asyncio.sleep(0.2)
                continue
            try:
                if sub is None:
                    sub = await self._subscribe()
                    logger.info("consumer ready", extra={"consumer": self.durable, "stream": self.stream})
                try:
                    msgs = await sub.fetch(self.batch_size, timeout=1.0)
                except (NatsTimeoutError, TimeoutError):
                    continue
                for msg in msgs:
                    await self._handle(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("consumer %s re-subscribing after error: %s", self.durable, exc)
                if sub is not None:
                    try:
                        await sub.unsubscribe()
                    except Exception:
                        pass
                sub = None
                await asyncio.sleep(0.5)

    async def _handle(self, msg: Msg) -> None:
        delivered = msg.metadata.num_delivered if msg.metadata else 1
        try:
            event = CloudEvent.model_validate_json(msg.data)
        except ValidationError as exc:
            # Malformed data never gets better with retries.
            await self._dead_letter(msg, None, f"malformed envelope: {exc}")
            return
        handler = self.handlers.get(event.type)
        if handler is None:
            await msg.ack()
            return
        token = set_request_context(event.requestid, event.traceparent)
        try:
            async with self.sessionmaker() as session:
                async with session.begin():
                    first = (
                        await session.execute(
                            text(
                                "INSERT INTO inbox_events (consumer, event_id, type) VALUES (:c, :e, :t) "
                                "ON CONFLICT DO NOTHING RETURNING event_id"
                            ),
                            {"c": self.durable, "e": event.id, "t": event.type},
                        )
                    ).first()
                    if first is not None:
                        await handler(session, event)
            if first is not None and self.after_commit is not None:
                self.after_commit()
            await msg.ack()
            EVENTS_CONSUMED.labels(
                self.service, self.durable, "handled" if first is not None else "duplicate"
            ).inc()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            EVENTS_CONSUMED.labels(self.service, self.durable, "failed").inc()
            if delivered >= self.max_deliver:
                logger.error(
                    "event %s failed %d times, dead-lettering: %s",
                    event.id,
                    delivered,
                    exc,
                    extra={"event_id": event.id, "event_type": event.type, "consumer": self.durable},
                )
                await self._dead_letter(msg, event, repr(exc))
            else:
                logger.warning(
                    "event %s failed (delivery %d of %d): %s",
                    event.id,
                    delivered,
                    self.max_deliver,
                    exc,
                    extra={"event_id": event.id, "event_type": event.type, "consumer": self.durable},
                )
                await msg.nak(delay=min(0.2 * 2**delivered, 30.0))
        finally:
            reset_request_context(token)

    async def _dead_letter(self, msg: Msg, event: CloudEvent | None, reason: str) -> None:
        event_id = event.id if event else (msg.metadata.sequence.stream if msg.metadata else "unknown")
        headers = {
            "Nats-Msg-Id": f"{self.durable}:{event_id}",
            "Kry-Original-Subject": msg.subject,
            "Kry-Consumer": self.durable,
            "Kry-Error": reason[:1000].replace("\n", " "),
        }
        await self.bus.js.publish(
            f"{DLQ_SUBJECT_PREFIX}.{self.durable}", msg.data, headers=headers, timeout=5.0
        )
        EVENTS_DEAD_LETTERED.labels(self.service, self.durable).inc()
        await msg.term()


async def replay_dead_letter(bus: EventBus, consumer: str, stream_seq: int) -> str:
    """Put one dead-lettered message back on its original subject (the runbook's replay step)."""
    from kunruyi_common.events.envelope import DLQ_STREAM

    raw = await bus.js.get_msg(DLQ_STREAM, stream_seq)
    subject = (raw.headers or {}).get("Kry-Original-Subject")
    if not subject:
        raise ValueError("dead-letter message has no original subject")
    await bus.js.publish(
        subject, raw.data or b"", headers={"Kry-Replayed-From": f"{DLQ_STREAM}:{stream_seq}"}
    )
    return str(subject)
