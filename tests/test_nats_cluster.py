"""NATS as a 3-node JetStream cluster (``NATS_NODES=3``): real nats-server processes started by the launcher's
code, streams with 3 replicas made by the kit, the outbox relay publishing and an EventConsumer consuming while
nodes are killed. Nothing is lost, nothing takes effect twice, the client moves to a node that is alive."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
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
from kunruyi_common.events.envelope import stream_name
from kunruyi_common.settings import ServiceSettings
from kunruyi_launcher.apps import APPS, SERVICES
from kunruyi_launcher.infra import (
    NatsCluster,
    NatsServer,
    ensure_databases,
    free_port,
    nats_server_binary,
    with_database,
)
from kunruyi_launcher.stack import Infra, app_env, start_infra
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@event_type("kunruyi.clusterkit.thing.happened")
class ClusterThingHappened(BaseModel):
    """A test event."""

    thing_id: str


async def wait_until(check: Callable[[], Awaitable[bool]], within_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path / "nats-cluster", free_port(), size=3)
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture
async def kit_db(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    name = f"test_cluster_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=5)
    metadata = new_metadata()
    event_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(text("CREATE TABLE effects (event_id text, thing_id text)"))
    yield create_sessionmaker(engine)
    await engine.dispose()


def connected_node(bus: EventBus, cluster: NatsCluster) -> NatsServer:
    assert bus.nc is not None and bus.nc.connected_url is not None
    port = urlsplit(bus.nc.connected_url.geturl()).port
    return next(node for node in cluster.nodes if node.port == port)


def sigkill(node: NatsServer) -> None:
    assert node.process is not None
    os.kill(node.process.pid, signal.SIGKILL)
    node.process.wait(10)


async def test_a_three_node_cluster_loses_nothing_when_nodes_die(
    cluster: NatsCluster, kit_db: async_sessionmaker[AsyncSession]
) -> None:
    bus = EventBus(cluster.url, name="cluster-kit", own_streams=["clusterkit"], stream_replicas=3)
    assert len(bus.servers) == 3
    await bus.start()
    await bus.wait_connected()

    info = await bus.js.stream_info(stream_name("clusterkit"))
    assert info.config.num_replicas == 3
    assert info.cluster is not None and len(info.cluster.replicas or []) == 2

    async def record(session: AsyncSession, event: CloudEvent) -> None:
        await session.execute(
            text("INSERT INTO effects (event_id, thing_id) VALUES (:e, :t)"),
            {"e": event.id, "t": event.data["thing_id"]},
        )

    relay = OutboxRelay(kit_db, bus, service="clusterkit", poll_interval_s=0.1)
    consumer = EventConsumer(
        bus=bus,
        sessionmaker=kit_db,
        service="clusterkittest",
        name="cluster",
        producer="clusterkit",
        handlers={"kunruyi.clusterkit.thing.happened": record},
        # A delivery whose ack died with its node comes again after this (the inbox drops it if it was applied).
        ack_wait_s=3.0,
    )
    staged: list[str] = []

    async def stage(count: int) -> None:
        async with kit_db() as session, session.begin():
            for _ in range(count):
                n = len(staged)
                await add_event(
                    session, "clusterkit", ClusterThingHappened(thing_id=f"t{n}"), subject=f"t{n}"
                )
                staged.append(f"t{n}")
        relay.wake()

    async def all_applied() -> bool:
        async with kit_db() as s:
            done = (await s.execute(text("SELECT count(DISTINCT thing_id) FROM effects"))).scalar_one()
        return int(done) == len(staged)

    relay.start()
    consumer.start()
    try:
        await stage(5)
        await wait_until(all_applied)

        # A node the client is not connected to dies: publishing and consuming go on with the other two.
        first = connected_node(bus, cluster)
        victim = next(node for node in cluster.nodes if node is not first)
        sigkill(victim)
        await stage(5)
        await wait_until(all_applied)

        # It comes back (its store catches up from the others), then the client's own node dies.
        victim.stop()
        await asyncio.to_thread(victim.start)
        await asyncio.to_thread(cluster.wait_meta_leader)
        sigkill(first)
        await stage(5)
        await wait_until(all_applied)
        await wait_until(lambda: _true(bus.connected))
        assert connected_node(bus, cluster) is not first, "the client moved to a node that is alive"

        async with kit_db() as s:
            per_thing = (
                await s.execute(text("SELECT thing_id, count(*) FROM effects GROUP BY thing_id"))
            ).all()
            inbox = (await s.execute(text("SELECT count(*) FROM inbox_events"))).scalar_one()
            unpublished = (
                await s.execute(text("SELECT count(*) FROM outbox_events WHERE published_at IS NULL"))
            ).scalar_one()
        assert sorted(t for t, _ in per_thing) == sorted(staged), "every event applied, none lost"
        assert all(count == 1 for _, count in per_thing), "no event took effect twice"
        assert inbox == len(staged)
        assert unpublished == 0
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


async def _true(value: bool) -> bool:
    return value


def test_nats_nodes_3_starts_a_cluster_and_gives_the_apps_every_node_and_three_replicas(
    tmp_path: Path, infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRY_DATABASE_URL", infra.database_admin_url)  # this test is about NATS only
    monkeypatch.delenv("KRY_NATS_URL", raising=False)
    started = start_infra(tmp_path, nats_nodes=3, log=lambda _m: None)
    try:
        assert isinstance(started.nats, NatsCluster)
        assert started.nats.meta_leader() is not None
        service = SERVICES[0]
        env = app_env(service, started, {app.name: free_port() for app in APPS}, None)
        urls = env[f"{service.env_prefix}NATS_URL"]
        assert urls.split(",") == [node.url for node in started.nats.nodes]
        assert env[f"{service.env_prefix}NATS_STREAM_REPLICAS"] == "3"
        settings = ServiceSettings(nats_url=urls, nats_stream_replicas=3)
        assert EventBus(settings.nats_url, name="x").servers == urls.split(",")
        assert all((node.data_dir / "store.lock").exists() for node in started.nats.nodes)
    finally:
        started.stop()


ROOT = Path(__file__).resolve().parents[1]
CLUSTER_NODES = ["nats-1", "nats-2", "nats-3"]
CLUSTER_URL = "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222"


def test_compose_nats_cluster_profile_and_the_override_that_switches_the_apps() -> None:
    schema = json.loads((ROOT / "deploy" / "compose-spec.schema.json").read_text())
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    override = yaml.safe_load((ROOT / "deploy" / "nats" / "compose.cluster.yaml").read_text())
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator_cls(schema).iter_errors(override)]
    assert not errors, "\n".join(errors)
    services = compose["services"]
    in_profile = {n for n, s in services.items() if "nats-cluster" in (s.get("profiles") or [])}
    assert in_profile == set(CLUSTER_NODES)
    for name in CLUSTER_NODES:
        node = services[name]
        assert node["image"] == services["nats"]["image"], "the cluster runs the pinned nats image"
        assert node["environment"]["NATS_SERVER_NAME"] == name
        assert "./deploy/nats/cluster.conf:/etc/nats/cluster.conf:ro" in node["volumes"]
        assert not node.get("ports"), "NATS is on the backend network only"
    conf = (ROOT / "deploy" / "nats" / "cluster.conf").read_text()
    assert all(f"nats-route://{name}:6222" in conf for name in CLUSTER_NODES)
    for name in CLUSTER_NODES:  # the real server accepts the file as each node reads it
        checked = subprocess.run(
            [nats_server_binary(), "-c", str(ROOT / "deploy" / "nats" / "cluster.conf"), "-t"],
            env={**os.environ, "NATS_SERVER_NAME": name},
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
    for app in APPS:
        env = override["services"][app.name]["environment"]
        assert env[f"{app.env_prefix}NATS_URL"] == CLUSTER_URL
        assert env[f"{app.env_prefix}NATS_STREAM_REPLICAS"] == "3"
        assert set(override["services"][app.name]["depends_on"]) == set(CLUSTER_NODES)
        assert set(override["services"][app.name]["depends_on"]) <= set(services)
