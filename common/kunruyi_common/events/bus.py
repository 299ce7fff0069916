"""The NATS JetStream connection: connect (and keep trying), make streams idempotently, reconnect forever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from kunruyi_common.events.envelope import DLQ_STREAM, DLQ_SUBJECT_PREFIX, stream_name, stream_subjects

logger = logging.getLogger("kunruyi.bus")

# Duplicate window for Nats-Msg-Id: a relay that crashes after publishing but before marking the row has this
# long to come back and republish without a duplicate reaching consumers (the inbox catches anything later).
DUPLICATE_WINDOW_S = 2 * 60 * 60


def nats_servers(url: str) -> list[str]:
    """The server list in a NATS URL setting: one URL, or several separated by commas (a cluster's nodes)."""
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise ValueError("NATS URL is empty")
    return servers


class EventBus:
    def __init__(
        self,
        url: str,
        *,
        name: str,
        own_streams: list[str] | None = None,
        stream_replicas: int = 1,
    ) -> None:
        self.url = url
        self.servers = nats_servers(url)
        self.name = name
        self.own_streams = own_streams or []
        # Replicas of the streams this process makes (own streams, the DLQ, and the ones its consumers read):
        # 1 on a single server, 3 on a 3-node JetStream cluster (setting NATS_STREAM_REPLICAS).
        self.stream_replicas = stream_replicas
        self.nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._reconnected_callbacks: list[Callable[[], Awaitable[None]]] = []
        self.ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NATS is not connected yet")
        return self._js

    def on_reconnected(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._reconnected_callbacks.append(callback)

    async def start(self) -> None:
        """Connect in the background so an app starts (and reports not-ready) while NATS is away."""
        self._connect_task = asyncio.create_task(self._connect_loop(), name=f"nats-connect-{self.name}")

    async def wait_connected(self, within_s: float = 10.0) -> None:
        await asyncio.wait_for(self.ready.wait(), within_s)

    async def _connect_loop(self) -> None:
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    servers=self.servers,
                    name=self.name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    # Shutdown drains subscriptions; after a failover to another cluster node a drain can wait
                    # on the lost node's subscriptions, so it is bounded (then the connection is closed).
                    drain_timeout=5,
                    allow_reconnect=True,
                    reconnected_cb=self._on_reconnected,
                    disconnected_cb=self._on_disconnected,
                    error_cb=self._on_error,
                )
                self._js = self.nc.jetstream(timeout=5)
                await self.ensure_streams()
                self.ready.set()
                logger.info(
                    "connected to NATS", extra={"nats_url": self.url, "nats_server": self.nc.connected_url}
                )
                return
            except Exception as exc:
                logger.warning("NATS not reachable yet: %s", exc)
                if self.nc is not None:
                    try:
                        await self.nc.close()
                    except Exception:
                        pass
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def ensure_streams(self) -> None:
        for service in self.own_streams:
            await ensure_stream(
                self.js, stream_name(service), stream_subjects(service), replicas=self.stream_replicas
            )
        await ensure_stream(self.js, DLQ_STREAM, [f"{DLQ_SUBJECT_PREFIX}.>"], replicas=self.stream_replicas)

    async def _on_reconnected(self) -> None:
        # With a cluster's node list the client moves to another node when its node goes away.
        logger.info("reconnected to NATS", extra={"nats_server": self.nc.connected_url if self.nc else None})
        try:
            await self.ensure_streams()
        except Exception as exc:
            logger.warning("could not re-create streams after reconnect: %s", exc)
        for cb in self._reconnected_callbacks:
            try:
                await cb()
            except Exception:
                logger.exception("reconnect callback failed")

    async def _on_disconnected(self) -> None:
        logger.warning("disconnected from NATS")

    async def _on_error(self, exc: Exception) -> None:
        logger.debug("NATS client error: %s", exc)

    async def close(self) -> None:
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:
                await self.nc.close()


async def ensure_stream(js: JetStreamContext, name: str, subjects: list[str], *, replicas: int = 1) -> None:
    """Create the stream, or bring an existing one to this configuration (subjects, limits, replica count).
    Safe to call at every start. ``replicas`` is 1 on a single server, up to the cluster size in a cluster;
    JetStream moves an existing stream to the new replica count on update."""
    config = StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=30 * 24 * 3600,
        duplicate_window=DUPLICATE_WINDOW_S,
        num_replicas=replicas,
    )
    try:
        await js.stream_info(name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            return
        except BadRequestError:
            pass  # another replica created it between our two calls
    await js.update_stream(config)
