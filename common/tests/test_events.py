"""The event kit against a real PostgreSQL and a real nats-server we can stop and start."""

from __future__ import annotations

import asyncio
import contextvars
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from kunruyi_common.context import app_settings
from kunruyi_common.db import create_engine, create_sessionmaker, new_metadata
from kunruyi_common.events import (
    CloudEvent,
    EnvelopeWriter,
    EventBus,
    EventConsumer,
    Handler,
    OutboxRelay,
    Staged,
    add_envelopes,
    add_event,
    add_events,
    build_event,
    event_tables,
    event_type,
)
from kunruyi_common.events.envelope import DLQ_STREAM
from kunruyi_common.logging import set_request_context
from kunruyi_common.metrics import EVENTS_DEAD_LETTERED
from kunruyi_common.settings import ServiceSettings
from kunruyi_launcher.infra import NatsServer, ensure_databases, free_port, with_database
from kunruyi_launcher.stack import Infra
from nats.js.api import AckPolicy, ConsumerConfig
from pydantic import BaseModel
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@event_type("kunruyi.kit.thing.happened")
class ThingHappened(BaseModel):
    """A test event."""

    thing_id: str
    n: int = 0


async def wait_until(check: Callable[[], Awaitable[bool]], within_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


@pytest.fixture
async def kit_db(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    name = f"test_kit_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=5)
    metadata = new_metadata()
    event_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(text("CREATE TABLE effects (event_id text, thing_id text)"))
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def own_nats(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer(tmp_path / "nats", free_port())
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


async def stream_messages(url: str, stream: str) -> list[nats.aio.msg.Msg]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        if info.state.messages == 0:
            return []
        sub = await js.pull_subscribe(
            "", stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE, filter_subject=">")
        )
        return await sub.fetch(info.state.messages, timeout=5)
    finally:
        await nc.close()


async def stage(sessionmaker: async_sessionmaker[AsyncSession], count: int, start: int = 0) -> list[str]:
    ids = []
    async with sessionmaker() as session, session.begin():
        for i in range(start, start + count):
            event = await add_event(session, "kit", ThingHappened(thing_id=f"t{i}", n=i), subject=f"t{i}")
            ids.append(event.id)
    return ids


async def test_outbox_rows_written_while_nats_is_down_are_published_once_it_is_back(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    bus = EventBus(own_nats.url, name="kit-relay", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    relay = OutboxRelay(kit_db, bus, service="kit", poll_interval_s=0.1)
    relay.start()

    async def unpublished() -> int:
        async with kit_db() as s:
            return int(
                (
                    await s.execute(text("SELECT count(*) FROM outbox_events WHERE published_at IS NULL"))
                ).scalar_one()
            )

    try:
        before = await stage(kit_db, 5)
        relay.wake()
        await wait_until(lambda: _eq(unpublished(), 0))

        own_nats.stop()
        during = await stage(kit_db, 5, start=5)
        relay.wake()
        await asyncio.sleep(1.0)
        assert await unpublished() == 5, "rows must wait while NATS is down, not be lost or marked"

        own_nats.start()
        await wait_until(lambda: _eq(unpublished(), 0), within_s=30)

        # A relay that crashed after publishing but before marking would publish again: JetStream drops it.
        async with kit_db() as s, s.begin():
            await s.execute(
                text("UPDATE outbox_events SET published_at = NULL WHERE id = :id"), {"id": before[0]}
            )
        relay.wake()
        await wait_until(lambda: _eq(unpublished(), 0))

        msgs = await stream_messages(own_nats.url, "KUNRUYI_KIT")
        ids = [json.loads(m.data)["id"] for m in msgs]
        assert sorted(ids) == sorted(before + during), "each event exactly once, none lost"
        assert [json.loads(m.data)["data"]["n"] for m in msgs] == list(range(10)), "published in order"
        assert all(m.headers and m.headers.get("Nats-Msg-Id") == json.loads(m.data)["id"] for m in msgs)
    finally:
        await relay.stop()
        await bus.close()


async def _eq(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def record_effect(session: AsyncSession, event: CloudEvent) -> None:
    """The test handler's effect: one ``effects`` row per applied event."""
    await session.execute(
        text("INSERT INTO effects (event_id, thing_id) VALUES (:e, :t)"),
        {"e": event.id, "t": event.data["thing_id"]},
    )


def _consumer(
    bus: EventBus,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    handler: Handler | None = None,
    **kw: object,
) -> EventConsumer:
    """A consumer of the kit's test events: ``handler``, or by default one that records the effect and always
    fails on the ``poison`` event."""

    async def record(session: AsyncSession, event: CloudEvent) -> None:
        if event.data.get("thing_id") == "poison":
            raise RuntimeError("this event always fails")
        await record_effect(session, event)

    return EventConsumer(
        bus=bus,
        sessionmaker=sessionmaker,
        service="kittest",
        name=name,
        producer="kit",
        handlers={"kunruyi.kit.thing.happened": handler or record},
        **kw,  # type: ignore[arg-type]
    )


async def publish_raw(url: str, event: CloudEvent, msg_id: str | None = None) -> None:
    nc = await nats.connect(url)
    try:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        await nc.jetstream().publish(event.type, event.model_dump_json().encode(), headers=headers)
    finally:
        await nc.close()


def thing(thing_id: str) -> CloudEvent:
    return CloudEvent(source="kit", type="kunruyi.kit.thing.happened", data={"thing_id": thing_id})


async def effects(sessionmaker: async_sessionmaker[AsyncSession], thing_id: str) -> int:
    async with sessionmaker() as s:
        q = text("SELECT count(*) FROM effects WHERE thing_id = :t")
        return int((await s.execute(q, {"t": thing_id})).scalar_one())


async def test_the_same_event_delivered_three_times_has_one_effect(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    bus = EventBus(own_nats.url, name="kit-consumer", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = _consumer(bus, kit_db, "dedupe")
    consumer.start()
    try:
        event = thing("once")
        for attempt in range(
            3
        ):  # three publications of one event, as a producer retrying past the window would
            await publish_raw(own_nats.url, event, msg_id=f"retry-{attempt}")
        await publish_raw(own_nats.url, thing("marker"))
        await wait_until(lambda: _eq(effects(kit_db, "marker"), 1))
        assert await effects(kit_db, "once") == 1
        async with kit_db() as s:
            recorded = (
                await s.execute(
                    text("SELECT count(*) FROM inbox_events WHERE event_id = :e"), {"e": event.id}
                )
            ).scalar_one()
        assert recorded == 1
    finally:
        await consumer.stop()
        await bus.close()


async def test_a_poison_event_ends_in_the_dead_letter_stream_and_is_counted(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    bus = EventBus(own_nats.url, name="kit-poison", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = _consumer(bus, kit_db, "poison", max_deliver=3)
    counted_before = EVENTS_DEAD_LETTERED.labels("kittest", "kittest-poison")._value.get()
    consumer.start()
    try:
        poison = thing("poison")
        await publish_raw(own_nats.url, poison)
        await publish_raw(own_nats.url, thing("healthy"))
        await wait_until(lambda: _eq(effects(kit_db, "healthy"), 1))

        async def dead_lettered() -> bool:
            return bool(await stream_messages(own_nats.url, DLQ_STREAM))

        await wait_until(dead_lettered, within_s=30)
        [dead] = await stream_messages(own_nats.url, DLQ_STREAM)
        assert json.loads(dead.data)["id"] == poison.id
        assert dead.subject == "kunruyi_dlq.kittest-poison"
        assert dead.headers is not None and "this event always fails" in dead.headers["Kry-Error"]
        assert EVENTS_DEAD_LETTERED.labels("kittest", "kittest-poison")._value.get() == counted_before + 1
        assert await effects(kit_db, "poison") == 0
    finally:
        await consumer.stop()
        await bus.close()


async def test_a_consumer_keeps_consuming_after_nats_restarts(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    bus = EventBus(own_nats.url, name="kit-restart", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = _consumer(bus, kit_db, "restart")
    consumer.start()
    try:
        await publish_raw(own_nats.url, thing("before-restart"))
        await wait_until(lambda: _eq(effects(kit_db, "before-restart"), 1))
        own_nats.stop()
        await asyncio.sleep(1.0)
        own_nats.start()
        await publish_raw(own_nats.url, thing("after-restart"))
        await wait_until(lambda: _eq(effects(kit_db, "after-restart"), 1), within_s=30)
        assert bus.connected
    finally:
        await consumer.stop()
        await bus.close()


# --- outages are not the event's fault ------------------------------------------------------------------------


class TcpCutter:
    """A TCP proxy in front of PostgreSQL that can be cut: to the consumer behind it, the database is down
    (connections refused, open ones reset) while the real server keeps serving every other test."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


@pytest.fixture
async def cuttable_db(
    infra: Infra, kit_db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[TcpCutter, async_sessionmaker[AsyncSession]]]:
    from urllib.parse import urlsplit

    direct_url = str(kit_db.kw["bind"].url.render_as_string(hide_password=False))
    parts = urlsplit(direct_url)
    cutter = TcpCutter(parts.hostname or "127.0.0.1", parts.port or 5432)
    await cutter.start()
    proxied = direct_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{cutter.port}")
    engine = create_engine(proxied, pool_size=2)
    try:
        yield cutter, create_sessionmaker(engine)
    finally:
        await engine.dispose()
        await cutter.cut()


async def test_a_database_outage_under_consumption_dead_letters_nothing_and_loses_nothing(
    kit_db: async_sessionmaker[AsyncSession],
    cuttable_db: tuple[TcpCutter, async_sessionmaker[AsyncSession]],
    own_nats: NatsServer,
) -> None:
    cutter, through_cutter = cuttable_db
    bus = EventBus(own_nats.url, name="kit-outage", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    # Three deliveries and a short ack wait: before the fix the outage dead-lettered events within seconds.
    consumer = _consumer(bus, through_cutter, "outage", max_deliver=3, ack_wait_s=3.0)
    dead_before = EVENTS_DEAD_LETTERED.labels("kittest", "kittest-outage")._value.get()
    consumer.start()
    try:
        await publish_raw(own_nats.url, thing("before-outage"))
        await wait_until(lambda: _eq(effects(kit_db, "before-outage"), 1))

        await cutter.cut()
        for i in range(10):
            await publish_raw(own_nats.url, thing(f"during-{i}"))
        # The database stays away for 30 seconds while the consumer holds the events.
        await asyncio.sleep(30)
        assert all([await effects(kit_db, f"during-{i}") == 0 for i in range(10)])
        await cutter.start()

        async def all_applied() -> bool:
            return all([await effects(kit_db, f"during-{i}") == 1 for i in range(10)])

        await wait_until(all_applied, within_s=60)
        assert EVENTS_DEAD_LETTERED.labels("kittest", "kittest-outage")._value.get() == dead_before
        assert await stream_messages(own_nats.url, DLQ_STREAM) == []
        # Deliveries were not spent on the outage: every event went through at most the allowed number.
        nc = await nats.connect(own_nats.url)
        try:
            info = await nc.jetstream().consumer_info("KUNRUYI_KIT", "kittest-outage")
            assert info.num_ack_pending == 0 and info.num_redelivered == 0
        finally:
            await nc.close()
    finally:
        await consumer.stop()
        await bus.close()


async def test_a_batch_is_applied_in_one_transaction_and_a_poison_event_in_it_is_isolated(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    batches: list[int] = []

    async def record_many(session: AsyncSession, events: list[CloudEvent]) -> None:
        if any(e.data.get("thing_id") == "poison" for e in events):
            raise RuntimeError("this event always fails")
        batches.append(len(events))
        for event in events:
            await session.execute(
                text("INSERT INTO effects (event_id, thing_id) VALUES (:e, :t)"),
                {"e": event.id, "t": event.data["thing_id"]},
            )

    bus = EventBus(own_nats.url, name="kit-batch", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    single = _consumer(bus, kit_db, "unused")
    consumer = EventConsumer(
        bus=bus,
        sessionmaker=kit_db,
        service="kittest",
        name="batch",
        producer="kit",
        handlers=single.handlers,
        batch_handlers={"kunruyi.kit.thing.happened": record_many},
        batch_size=100,
        max_deliver=2,
    )
    try:
        repeated = thing("b-repeated")
        for i in range(40):
            await publish_raw(own_nats.url, thing(f"b-{i}"))
        await publish_raw(own_nats.url, repeated, msg_id="first")
        await publish_raw(own_nats.url, repeated, msg_id="second")
        consumer.start()
        await wait_until(lambda: _eq(effects(kit_db, "b-39"), 1))
        assert max(batches) > 1, "events of one fetch go through the batch handler together"
        assert await effects(kit_db, "b-repeated") == 1

        await publish_raw(own_nats.url, thing("poison"))
        for i in range(5):
            await publish_raw(own_nats.url, thing(f"c-{i}"))

        async def dead_lettered() -> bool:
            return bool(await stream_messages(own_nats.url, DLQ_STREAM))

        await wait_until(dead_lettered, within_s=30)
        await wait_until(lambda: _eq(effects(kit_db, "c-4"), 1))
        assert all([await effects(kit_db, f"c-{i}") == 1 for i in range(5)])
        assert await effects(kit_db, "poison") == 0
    finally:
        await consumer.stop()
        await bus.close()


async def test_one_by_one_applies_a_fetch_in_one_transaction_in_entity_order_with_each_request_id(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    """``one_by_one``: the single handler over a fetch, sorted (replicas lock rows in the same order), each
    event's request id in its context, and the fetch's effects committed together."""
    from kunruyi_common.events import one_by_one
    from kunruyi_common.logging import current_request_id

    seen: list[tuple[str, str | None]] = []
    transactions: set[int] = set()

    async def record(session: AsyncSession, event: CloudEvent) -> None:
        seen.append((event.data["thing_id"], current_request_id()))
        transactions.add(int((await session.execute(text("SELECT txid_current()"))).scalar_one()))
        await record_effect(session, event)

    bus = EventBus(own_nats.url, name="kit-one-by-one", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = _consumer(
        bus,
        kit_db,
        "one-by-one",
        handler=record,
        batch_handlers={"kunruyi.kit.thing.happened": one_by_one(record, order=lambda e: e.data["thing_id"])},
        batch_size=100,
    )
    try:
        for name in ("o-3", "o-1", "o-2"):
            event = thing(name)
            event.requestid = f"req-{name}"
            await publish_raw(own_nats.url, event)
        consumer.start()
        await wait_until(lambda: _eq(effects(kit_db, "o-3"), 1))
        assert seen == [("o-1", "req-o-1"), ("o-2", "req-o-2"), ("o-3", "req-o-3")]
        assert len(transactions) == 1
    finally:
        await consumer.stop()
        await bus.close()


def test_outages_and_contention_are_transient_and_bad_input_is_not() -> None:
    from kunruyi_common.errors import ServiceUnavailable, Unprocessable
    from kunruyi_common.events.transient import TransientError, is_transient
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    class PgError(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    assert is_transient(OperationalError("SELECT 1", {}, PgError("57P01")))  # admin shutdown
    assert is_transient(DBAPIError("UPDATE", {}, PgError("40P01")))  # deadlock
    assert is_transient(DBAPIError("UPDATE", {}, PgError("40001")))  # serialization failure
    assert is_transient(ConnectionRefusedError(111, "refused"))
    assert is_transient(ServiceUnavailable("svc-policy down"))
    assert is_transient(TransientError("bank busy"))
    wrapped = RuntimeError("handler failed")
    wrapped.__cause__ = ConnectionResetError()
    assert is_transient(wrapped)

    assert not is_transient(IntegrityError("INSERT", {}, PgError("23505")))
    assert not is_transient(DBAPIError("INSERT", {}, PgError("22003")))  # numeric out of range
    assert not is_transient(Unprocessable("bad data"))
    assert not is_transient(RuntimeError("this event always fails"))
    assert not is_transient(FileNotFoundError("missing.pdf"))


async def test_add_events_writes_many_rows_in_one_statement_and_the_relay_publishes_them_in_order(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    engine = kit_db.kw["bind"]
    inserts: list[str] = []

    def count_inserts(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EVENTS"):
            inserts.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", count_inserts)
    try:
        async with kit_db() as session, session.begin():
            staged = await add_events(
                session,
                "kit",
                [Staged(ThingHappened(thing_id=f"b{i}", n=i), subject=f"b{i}") for i in range(25)],
            )
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", count_inserts)
    assert len(inserts) == 1, "25 events, one INSERT"
    async with kit_db() as s:
        rows = (await s.execute(text("SELECT id, subject FROM outbox_events ORDER BY seq"))).all()
    assert [str(r.id) for r in rows] == [e.id for e in staged]
    assert [r.subject for r in rows] == [f"b{i}" for i in range(25)]

    bus = EventBus(own_nats.url, name="kit-bulk", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    relay = OutboxRelay(kit_db, bus, service="kit", poll_interval_s=0.1)
    try:
        assert await relay.publish_pending() == 25
    finally:
        await bus.close()
    msgs = await stream_messages(own_nats.url, "KUNRUYI_KIT")
    assert [json.loads(m.data)["data"]["n"] for m in msgs] == list(range(25)), "published in the order given"


async def test_add_events_with_nothing_writes_nothing(kit_db: async_sessionmaker[AsyncSession]) -> None:
    async with kit_db() as session, session.begin():
        assert await add_events(session, "kit", []) == []
        count = (await session.execute(text("SELECT count(*) FROM outbox_events"))).scalar_one()
    assert count == 0


async def test_envelopes_written_ahead_are_the_envelopes_and_rows_of_build_event_and_add_events(
    kit_db: async_sessionmaker[AsyncSession],
) -> None:
    def written() -> tuple[list[CloudEvent], list[str]]:
        set_request_context("req-昆山-1", "00-" + "a" * 32 + "-" + "b" * 16 + "-01")
        payloads = [ThingHappened(thing_id=f'w"{i}\\昆山\n', n=i) for i in range(5)]
        events = [
            build_event("kit", p, subject=f"w{i}" if i % 2 else None, event_id=str(uuid.uuid4()))
            for i, p in enumerate(payloads)
        ]
        writer = EnvelopeWriter("kit", ThingHappened, time=events[0].time)
        texts = []
        for event, payload in zip(events, payloads, strict=True):
            event.time = events[0].time  # one time per writer
            texts.append(writer.envelope(event.id, event.subject, payload.model_dump_json()))
        assert writer.type == "kunruyi.kit.thing.happened"
        return events, texts

    events, texts = contextvars.copy_context().run(written)
    assert events[0].requestid == "req-昆山-1" and events[0].traceparent is not None
    assert texts == [e.model_dump_json() for e in events]
    async with kit_db() as session, session.begin():
        with pytest.raises(ValueError):
            await add_envelopes(session, "kunruyi.kit.thing.happened", ["x"], [], texts[:1])
        await add_envelopes(session, "kunruyi.kit.thing.happened", [], [], [])
        await add_envelopes(
            session, "kunruyi.kit.thing.happened", [e.id for e in events], [e.subject for e in events], texts
        )
    async with kit_db() as s:
        rows = (
            await s.execute(text("SELECT id, type, subject, envelope FROM outbox_events ORDER BY seq"))
        ).all()
    assert [(str(r.id), r.type, r.subject, r.envelope) for r in rows] == [
        (e.id, e.type, e.subject, json.loads(e.model_dump_json())) for e in events
    ]


class KitSettings(ServiceSettings):
    marker: str = "unset"


async def test_a_handler_reads_the_settings_the_consumer_was_given(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    seen: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        seen.append(app_settings(KitSettings).marker)

    bus = EventBus(own_nats.url, name="kit-settings", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = EventConsumer(
        bus=bus,
        sessionmaker=kit_db,
        service="kittest",
        name="settings",
        producer="kit",
        handlers={"kunruyi.kit.thing.happened": handler},
        settings=KitSettings(marker="from-the-app"),
    )
    consumer.start()
    try:
        await publish_raw(own_nats.url, thing("with-settings"))
        await wait_until(lambda: _truthy(seen))
    finally:
        await consumer.stop()
        await bus.close()
    assert seen == ["from-the-app"]
    with pytest.raises(LookupError):
        app_settings(KitSettings)  # outside a handler there are none


async def _truthy(values: list[str]) -> bool:
    return bool(values)


async def test_refused_events_are_dead_lettered_at_once_with_their_reason_and_counted(
    kit_db: async_sessionmaker[AsyncSession], own_nats: NatsServer
) -> None:
    """Data that does not fit the registered payload model, and a chain the taxonomy cannot map, are refused on
    their first delivery (max_deliver is 5): dead letter with the reason, kunruyi_events_rejected_total{reason}."""
    from kunruyi_common.metrics import EVENTS_REJECTED
    from kunruyi_common.taxonomy import TAXONOMY

    async def record(session: AsyncSession, event: CloudEvent) -> None:
        chain = TAXONOMY.industry_chains.normalise(event.data.get("chain") or "集成电路")
        await session.execute(
            text("INSERT INTO effects (event_id, thing_id) VALUES (:e, :t)"),
            {"e": event.id, "t": f"{event.data['thing_id']}:{chain}"},
        )

    bus = EventBus(own_nats.url, name="kit-refuse", own_streams=["kit"])
    await bus.start()
    await bus.wait_connected()
    consumer = EventConsumer(
        bus=bus,
        sessionmaker=kit_db,
        service="kittest",
        name="refuse",
        producer="kit",
        handlers={"kunruyi.kit.thing.happened": record},
        schemas={"kunruyi.kit.thing.happened": ThingHappened},
        max_deliver=5,
    )

    def rejected(reason: str) -> float:
        return float(EVENTS_REJECTED.labels("kittest", "kittest-refuse", reason)._value.get())

    before = {r: rejected(r) for r in ("invalid_payload", "unknown_industry_chain")}
    consumer.start()
    try:
        no_id = CloudEvent(source="kit", type="kunruyi.kit.thing.happened", data={"n": 1})
        mars = CloudEvent(
            source="kit", type="kunruyi.kit.thing.happened", data={"thing_id": "mars", "chain": "火星产业"}
        )
        for event in (no_id, mars, thing("fine")):
            await publish_raw(own_nats.url, event)
        await wait_until(lambda: _eq(effects(kit_db, "fine:semiconductor"), 1))

        async def both_dead() -> bool:
            return len(await stream_messages(own_nats.url, DLQ_STREAM)) == 2

        await wait_until(both_dead)
        dead = {json.loads(m.data)["id"]: m for m in await stream_messages(own_nats.url, DLQ_STREAM)}
        assert dead[no_id.id].headers is not None
        assert dead[no_id.id].headers["Kry-Error"].startswith("rejected: invalid_payload")
        assert dead[mars.id].headers is not None
        assert dead[mars.id].headers["Kry-Error"].startswith("rejected: unknown_industry_chain")
        assert "火星产业" in dead[mars.id].headers["Kry-Error"]
        assert rejected("invalid_payload") == before["invalid_payload"] + 1
        assert rejected("unknown_industry_chain") == before["unknown_industry_chain"] + 1
        async with kit_db() as s:
            assert (await s.execute(text("SELECT count(*) FROM effects"))).scalar_one() == 1
    finally:
        await consumer.stop()
        await bus.close()
