"""Inbox consumer: durable pull consumer, the event id recorded in the same transaction as the effect.

A message is acked only after its transaction commits, so a crash redelivers it, and the inbox row makes the
redelivery a no-op. A handler that keeps failing is retried with back-off up to ``max_deliver`` times; the
last failure copies the message to the dead-letter stream (``kunruyi_dlq.<consumer>``), counts it on a metric,
and terminates it so it stops blocking the consumer.

Two refinements:

- **Outages are not the event's fault.** When a handler fails because the database, the bus or an upstream is
  unavailable (:func:`~kunruyi_common.events.transient.is_transient`), the consumer keeps the messages it holds
  (telling JetStream they are in progress), waits with back-off and tries again, without spending a delivery.
  Only after ``transient_patience_s`` of that does it hand the message back (one delivery spent), so a failure
  misread as an outage still ends in the dead-letter stream eventually.
- **Refusals are not retried.** A handler (or the kit, when the event's data does not fit the payload model the
  consumer registered for its type) raises :class:`EventRejected` with a short reason — a chain the taxonomy
  does not know, a payload that is not the model. The event is dead-lettered at once with that reason and counted
  on ``kunruyi_events_rejected_total{reason}``; a consumer never maps a value it cannot read to ``None`` silently.
- **Batches.** A handler can also be given per type as a *batch handler*: the fresh events of one fetch are then
  applied in one transaction (their inbox rows with them). If that transaction fails for the events' sake, they
  are retried one by one through the single handlers, which isolates a poison message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_common.background import stop_task
from kunruyi_common.context import using_settings
from kunruyi_common.errors import UnknownIndustryChain, UnknownTaxonomyTerm
from kunruyi_common.events.bus import EventBus, ensure_stream
from kunruyi_common.events.envelope import (
    DLQ_STREAM,
    DLQ_SUBJECT_PREFIX,
    CloudEvent,
    stream_name,
    stream_subjects,
)
from kunruyi_common.events.transient import is_transient
from kunruyi_common.logging import reset_request_context, set_request_context
from kunruyi_common.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_REJECTED,
    EVENTS_WAITING_ON_OUTAGE,
)
from kunruyi_common.settings import ServiceSettings

logger = logging.getLogger("kunruyi.inbox")

T = TypeVar("T")
Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[CloudEvent]], Awaitable[None]]

_RECORD_ONE = text(
    "INSERT INTO inbox_events (consumer, event_id, type) VALUES (:c, :e, :t) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_RECORD_MANY = text(
    "INSERT INTO inbox_events (consumer, event_id, type) "
    "SELECT :c, e.id, e.type FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) AS e(id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


def one_by_one(handler: Handler, order: Callable[[CloudEvent], Any] | None = None) -> BatchHandler:
    """A batch handler that applies ``handler`` to each event of a fetch, in the fetch's one transaction: for work
    that cannot be merged into fewer statements, but whose own transaction, inbox row, acknowledgement and relay
    wake-up per event cost as much as the work. ``order`` sorts the events (say, by entity, then time) so replicas
    applying overlapping fetches lock rows in the same order; each event's request id is in its logs."""

    async def apply(session: AsyncSession, events: list[CloudEvent]) -> None:
        for event in sorted(events, key=order) if order is not None else events:
            await _in_event_context(handler, session, event)

    return apply


async def _in_event_context(handler: Handler, session: AsyncSession, event: CloudEvent) -> None:
    """``handler`` on ``event`` with the event's request id and trace in context (its logs carry them)."""
    token = set_request_context(event.requestid, event.traceparent)
    try:
        await handler(session, event)
    finally:
        reset_request_context(token)


class EventRejected(Exception):
    """The consumer cannot apply this event, ever: dead-letter it now with ``reason`` (a short slug)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def rejection(exc: BaseException) -> EventRejected | None:
    """The refusal an exception stands for: EventRejected itself, or a taxonomy miss inside a handler."""
    if isinstance(exc, EventRejected):
        return exc
    if isinstance(exc, UnknownIndustryChain | UnknownTaxonomyTerm):
        return EventRejected(exc.code, exc.detail)
    cause = exc.__cause__ or exc.__context__
    return rejection(cause) if cause is not None and cause is not exc else None


class _Outage(Exception):
    """The transient failure outlasted the consumer's patience: hand the message back."""


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
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        schemas: Mapping[str, type[BaseModel]] | None = None,
        max_deliver: int = 5,
        ack_wait_s: float = 30.0,
        batch_size: int = 50,
        transient_patience_s: float = 600.0,
        transient_backoff_max_s: float = 30.0,
        after_commit: Callable[[], object] | None = None,
        settings: ServiceSettings | None = None,
    ) -> None:
        self.bus = bus
        self.sessionmaker = sessionmaker
        self.service = service
        self.durable = f"{service}-{name}"
        self.producer = producer
        self.stream = stream_name(producer)
        self.handlers = dict(handlers)
        self.batch_handlers = dict(batch_handlers or {})
        missing = set(self.batch_handlers) - set(self.handlers)
        if missing:
            # The one-by-one retry of a failed batch needs the single handler.
            raise ValueError(f"batch handlers without a single handler: {sorted(missing)}")
        # The payload model of each type: data that does not fit is refused before any handler runs.
        self.schemas = dict(schemas or {})
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.batch_size = batch_size
        self.transient_patience_s = transient_patience_s
        self.transient_backoff_max_s = transient_backoff_max_s
        self.after_commit = after_commit
        self.settings = settings
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
        await ensure_stream(
            js, self.stream, stream_subjects(self.producer), replicas=self.bus.stream_replicas
        )
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            filter_subjects=sorted(self.handlers),
            max_ack_pending=max(1000, 2 * self.batch_size),
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
                await self.handle_messages(msgs)
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

    async def handle_messages(self, msgs: Sequence[Msg]) -> None:
        """Apply one fetch: in one transaction when a batch handler covers its events, else one by one."""
        events: list[tuple[Msg, CloudEvent]] = []
        for msg in msgs:
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError as exc:
                # Malformed data never gets better with retries.
                await self._dead_letter(msg, None, f"malformed envelope: {exc}")
                continue
            if event.type not in self.handlers:
                await msg.ack()
                continue
            model = self.schemas.get(event.type)
            if model is not None:
                try:
                    model.model_validate(event.data)
                except ValidationError as exc:
                    await self._reject(msg, event, EventRejected("invalid_payload", str(exc)))
                    continue
            events.append((msg, event))
        if not events:
            return
        if any(event.type in self.batch_handlers for _, event in events):
            if await self._handle_batch(events):
                return
        for index, (msg, event) in enumerate(events):
            await self._handle_one(msg, event, held=[m for m, _ in events[index + 1 :]])

    async def _handle_batch(self, events: list[tuple[Msg, CloudEvent]]) -> bool:
        """True when the batch was applied and acked; False to retry its events one by one."""
        msgs = [m for m, _ in events]

        async def apply() -> set[str]:
            async with self.sessionmaker() as session, session.begin():
                fresh = set(
                    (
                        await session.execute(
                            _RECORD_MANY,
                            {
                                "c": self.durable,
                                "ids": [e.id for _, e in events],
                                "types": [e.type for _, e in events],
                            },
                        )
                    ).scalars()
                )
                grouped: dict[str, list[CloudEvent]] = {}
                for _, event in events:
                    if event.id in fresh:
                        fresh.discard(event.id)  # the same event twice in one fetch is applied once
                        grouped.setdefault(event.type, []).append(event)
                applied = {e.id for batch in grouped.values() for e in batch}
                for type_, batch in grouped.items():
                    batch_handler = self.batch_handlers.get(type_)
                    if batch_handler is not None:
                        with using_settings(self.settings):
                            await batch_handler(session, batch)
                    else:
                        for event in batch:
                            await self._call(self.handlers[type_], session, event)
                return applied

        try:
            applied = await self._patiently(apply, msgs, what=f"batch of {len(events)}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning(
                "consumer %s: batch of %d failed (%s); retrying one by one", self.durable, len(events), exc
            )
            return False
        # Acks first, then the wake-up: acks are what a crash must not lose.
        for msg in msgs:
            await msg.ack()
        if self.bus.nc is not None:
            await self.bus.nc.flush(timeout=5)
        if applied and self.after_commit is not None:
            self.after_commit()
        EVENTS_CONSUMED.labels(self.service, self.durable, "handled").inc(len(applied))
        EVENTS_CONSUMED.labels(self.service, self.durable, "duplicate").inc(len(events) - len(applied))
        return True

    async def _call(self, handler: Handler, session: AsyncSession, event: CloudEvent) -> None:
        with using_settings(self.settings):
            await _in_event_context(handler, session, event)

    async def _handle_one(self, msg: Msg, event: CloudEvent, held: Sequence[Msg] = ()) -> None:
        delivered = msg.metadata.num_delivered if msg.metadata else 1
        handler = self.handlers[event.type]

        async def apply() -> bool:
            async with self.sessionmaker() as session, session.begin():
                first = (
                    await session.execute(_RECORD_ONE, {"c": self.durable, "e": event.id, "t": event.type})
                ).first()
                if first is not None:
                    await self._call(handler, session, event)
                return first is not None

        token = set_request_context(event.requestid, event.traceparent)
        try:
            first = await self._patiently(apply, [msg, *held], what=f"event {event.id}")
            if first and self.after_commit is not None:
                self.after_commit()
            await msg.ack()
            EVENTS_CONSUMED.labels(self.service, self.durable, "handled" if first else "duplicate").inc()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            EVENTS_CONSUMED.labels(self.service, self.durable, "failed").inc()
            extra = {"event_id": event.id, "event_type": event.type, "consumer": self.durable}
            refused = rejection(exc)
            if refused is not None:
                await self._reject(msg, event, refused)
            elif isinstance(exc, _Outage):
                # An outage outlasted our patience: give the message back without dead-lettering it now.
                logger.error("event %s: %s; handing it back", event.id, exc, extra=extra)
                await msg.nak(delay=self.transient_backoff_max_s)
            elif delivered >= self.max_deliver:
                logger.error(
                    "event %s failed %d times, dead-lettering: %s", event.id, delivered, exc, extra=extra
                )
                await self._dead_letter(msg, event, repr(exc))
            else:
                logger.warning(
                    "event %s failed (delivery %d of %d): %s",
                    event.id,
                    delivered,
                    self.max_deliver,
                    exc,
                    extra=extra,
                )
                await msg.nak(delay=min(0.2 * 2**delivered, 30.0))
        finally:
            reset_request_context(token)

    async def _patiently(self, apply: Callable[[], Awaitable[T]], held: Sequence[Msg], *, what: str) -> T:
        """Run ``apply``; while it fails for an outage, keep ``held`` in progress and try again with back-off."""
        started = time.monotonic()
        delay = 0.5
        waiting = False
        try:
            while True:
                try:
                    return await apply()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not is_transient(exc) or self._stopping:
                        raise
                    if time.monotonic() - started > self.transient_patience_s:
                        raise _Outage(
                            f"dependency unavailable for {self.transient_patience_s:.0f} s: {exc!r}"
                        ) from exc
                    if not waiting:
                        waiting = True
                        EVENTS_WAITING_ON_OUTAGE.labels(self.service, self.durable).inc()
                    logger.warning(
                        "consumer %s: %s waits for an unavailable dependency (%s); retrying in %.1f s",
                        self.durable,
                        what,
                        exc.__class__.__name__,
                        delay,
                    )
                    await self._keep_in_progress(held, delay)
                    delay = min(delay * 2, self.transient_backoff_max_s)
        finally:
            if waiting:
                EVENTS_WAITING_ON_OUTAGE.labels(self.service, self.durable).dec()

    async def _keep_in_progress(self, held: Sequence[Msg], seconds: float) -> None:
        """Sleep ``seconds`` while telling JetStream the held messages are still being worked on, so their ack
        wait does not run out (a redelivery would spend one of their deliveries)."""
        deadline = time.monotonic() + seconds
        while True:
            for msg in held:
                try:
                    await msg.in_progress()
                except Exception:
                    pass  # the bus may be the dependency that is down; the redelivery is then harmless
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, max(self.ack_wait_s / 3, 0.1)))

    async def _reject(self, msg: Msg, event: CloudEvent, refused: EventRejected) -> None:
        logger.error(
            "event %s rejected (%s), dead-lettering: %s",
            event.id,
            refused.reason,
            refused.detail,
            extra={"event_id": event.id, "event_type": event.type, "consumer": self.durable},
        )
        EVENTS_REJECTED.labels(self.service, self.durable, refused.reason).inc()
        await self._dead_letter(msg, event, f"rejected: {refused}")

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
    raw = await bus.js.get_msg(DLQ_STREAM, stream_seq)
    subject = (raw.headers or {}).get("Kry-Original-Subject")
    if not subject:
        raise ValueError("dead-letter message has no original subject")
    await bus.js.publish(
        subject, raw.data or b"", headers={"Kry-Replayed-From": f"{DLQ_STREAM}:{stream_seq}"}
    )
    return str(subject)
