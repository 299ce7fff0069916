"""The event kit against a real PostgreSQL and a real nats-server we can stop and start."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from kunruyi_common.db import create_engine, create_sessionmaker, new_metadata
from kunruyi_common.events import (
    CloudEvent,
    EventBus,
    EventConsumer,
    OutboxRelay,
    add_event,
    event_tables,
    event_type,
)
from kunruyi_common.events.envelope import DLQ_STREAM
from kunruyi_common.metrics import EVENTS_DEAD_LETTERED
from kunruyi_launcher.infra import NatsServer, ensure_databases, free_port, with_database
from kunruyi_launcher.stack import Infra
from nats.js.api import AckPolicy, ConsumerConfig
from pydantic import BaseModel
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


def _consumer(
    bus: EventBus, sessionmaker: async_sessionmaker[AsyncSession], name: str, **kw: object
) -> EventConsumer:
    async def record(session: AsyncSession, event: CloudEvent) -> None:
        if event.data.get("thing_id") == "poison":
            raise RuntimeError("this event always fails")
        await session.execute(
            text("INSERT INTO effects (event_id, thing_id) VALUES (:e, :t)"),
            {"e": event.id, "t": event.data["thing_id"]},
        )

    return EventConsumer(
        bus=bus,
        sessionmaker=sessionmaker,
        service="kittest",
        name=name,
        producer="kit",
        handlers={"kunruyi.kit.thing.happened": record},
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
