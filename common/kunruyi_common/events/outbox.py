"""Transactional outbox: write the event in the change's transaction; a relay publishes it afterwards.

The relay publishes with ``Nats-Msg-Id`` = event id, so JetStream drops a duplicate if the relay crashes after
publishing and before marking the row. While NATS is down, rows simply wait; the relay resumes in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from pydantic import BaseModel
from sqlalchemy import column, table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_common.background import stop_task
from kunruyi_common.events.bus import EventBus
from kunruyi_common.events.envelope import CloudEvent, type_of
from kunruyi_common.logging import current_request_id, current_traceparent
from kunruyi_common.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED

logger = logging.getLogger("kunruyi.outbox")

_outbox = table("outbox_events", column("id"), column("type"), column("subject"), column("envelope", JSONB))


def build_event(
    source: str, payload: BaseModel, *, subject: str | None = None, event_id: str | None = None
) -> CloudEvent:
    kwargs: dict[str, Any] = {}
    if event_id:
        kwargs["id"] = event_id
    return CloudEvent(
        source=source,
        type=type_of(payload),
        subject=subject,
        traceparent=current_traceparent(),
        requestid=current_request_id(),
        data=payload.model_dump(mode="json"),
        **kwargs,
    )


async def add_event(
    session: AsyncSession,
    source: str,
    payload: BaseModel,
    *,
    subject: str | None = None,
    event_id: str | None = None,
) -> CloudEvent:
    """Stage an event in the caller's transaction. It is published only if that transaction commits."""
    event = build_event(source, payload, subject=subject, event_id=event_id)
    await session.execute(
        _outbox.insert().values(
            id=event.id, type=event.type, subject=event.subject, envelope=json.loads(event.model_dump_json())
        )
    )
    return event


@dataclass(frozen=True, slots=True)
class Staged:
    """One event for :func:`add_events`: its data, and optionally its subject and a stable id."""

    payload: BaseModel
    subject: str | None = None
    event_id: str | None = None


_INSERT_MANY = text(
    "INSERT INTO outbox_events (id, type, subject, envelope) "
    "SELECT x.i, x.t, x.s, CAST(x.e AS jsonb) FROM unnest("
    "CAST(:i AS uuid[]), CAST(:t AS text[]), CAST(:s AS text[]), CAST(:e AS text[])"
    ") WITH ORDINALITY AS x(i, t, s, e, n) ORDER BY x.n"
)


async def add_events(session: AsyncSession, source: str, items: Sequence[Staged]) -> list[CloudEvent]:
    """Stage many events in the caller's transaction with one INSERT, in the order given (the relay publishes
    them in that order). Like :func:`add_event`, they are published only if that transaction commits."""
    events = [build_event(source, i.payload, subject=i.subject, event_id=i.event_id) for i in items]
    if events:
        await session.execute(
            _INSERT_MANY,
            {
                "i": [e.id for e in events],
                "t": [e.type for e in events],
                "s": [e.subject for e in events],
                "e": [e.model_dump_json() for e in events],
            },
        )
    return events


_encode = json.JSONEncoder(ensure_ascii=False).encode


class EnvelopeWriter:
    """Envelopes of one event type as JSON text, from parts encoded once: for a producer staging thousands of
    events in one transaction (a 免申即享 chunk), where a pydantic payload and a CloudEvent per event cost more
    than the database does.

    The envelope is the one :func:`build_event` makes (same members and values; the test in
    common/tests/test_events.py compares them), with one ``time`` for every event of the writer (they are staged
    in one transaction and committed together) and the trace context read when the writer is made. The caller
    vouches that ``data`` (JSON text) is valid for the type's schema: nothing validates it here.
    """

    __slots__ = ("_head", "_middle", "_tail", "type")

    def __init__(self, source: str, model: type[BaseModel], *, time: datetime | None = None) -> None:
        self.type = type_of(model)
        at = (time or datetime.now(UTC)).astimezone(UTC)
        self._head = '{"specversion":"1.0","id":'
        self._middle = f',"source":{_encode(source)},"type":{_encode(self.type)},"subject":'
        self._tail = (
            f',"time":{_encode(at.isoformat().replace("+00:00", "Z"))},"datacontenttype":"application/json",'
            f'"dataschema":null,"traceparent":{_encode(current_traceparent())},'
            f'"requestid":{_encode(current_request_id())},"data":'
        )

    def envelope(self, event_id: str, subject: str | None, data: str) -> str:
        """The envelope of one event whose payload ``data`` is already JSON text."""
        return (
            f"{self._head}{encode_basestring(event_id)}{self._middle}{_encode(subject)}{self._tail}{data}}}"
        )


async def add_envelopes(
    session: AsyncSession,
    event_type: str,
    ids: Sequence[str],
    subjects: Sequence[str | None],
    envelopes: Sequence[str],
) -> None:
    """Stage events of one type already written as envelopes (:class:`EnvelopeWriter`) with one INSERT, in the
    order given, in the caller's transaction: the outbox rows :func:`add_events` writes for the same events."""
    if not ids:
        return
    if not len(ids) == len(subjects) == len(envelopes):
        raise ValueError("ids, subjects and envelopes must be as many")
    await session.execute(
        _INSERT_MANY,
        {"i": list(ids), "t": [event_type] * len(ids), "s": list(subjects), "e": list(envelopes)},
    )


class OutboxRelay:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        service: str,
        poll_interval_s: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.service = service
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        await stop_task(self._task)

    async def _run(self) -> None:
        backoff = self.poll_interval_s
        while not self._stopping:
            try:
                published = await self.publish_pending() if self.bus.connected else 0
                backoff = self.poll_interval_s
            except Exception as exc:
                logger.warning("outbox relay paused: %s", exc)
                published = 0
                backoff = min(backoff * 2, 5.0)
            if published >= self.batch_size:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass

    async def publish_pending(self) -> int:
        """Publish one batch in order; stop at the first failure so later events never overtake earlier ones."""
        published = 0
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    text(
                        "SELECT seq, id, type, envelope FROM outbox_events WHERE published_at IS NULL "
                        "ORDER BY seq LIMIT :n FOR UPDATE SKIP LOCKED"
                    ),
                    {"n": self.batch_size},
                )
            ).all()
            if not rows:
                return 0
            done: list[int] = []
            error: Exception | None = None
            for seq, event_id, event_type, envelope in rows:
                payload = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
                try:
                    await self.bus.js.publish(
                        event_type, payload, headers={"Nats-Msg-Id": str(event_id)}, timeout=2.0
                    )
                except Exception as exc:
                    error = exc
                    OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
                    await session.execute(
                        text(
                            "UPDATE outbox_events SET attempts = attempts + 1, last_error = :e WHERE seq = :s"
                        ),
                        {"e": str(exc)[:500], "s": seq},
                    )
                    break
                done.append(seq)
            if done:
                await session.execute(
                    text("UPDATE outbox_events SET published_at = :now WHERE seq = ANY(:seqs)"),
                    {"now": datetime.now(UTC), "seqs": done},
                )
                published = len(done)
                OUTBOX_PUBLISHED.labels(self.service).inc(published)
        if error is not None:
            raise error
        return published
