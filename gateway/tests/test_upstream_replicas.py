"""An upstream as several replicas (issue 14 §1): balanced by least outstanding requests, a replica that cannot be
reached is ejected and probed back, a request never written goes to another replica while a written POST is never
sent twice, and a DNS name resolving to several addresses is one replica per address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from kunruyi_common.errors import ProblemError
from kunruyi_gateway.routing.proxy import Upstreams
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.infra import free_port
from prometheus_client import REGISTRY

EJECTIONS = "kunruyi_gateway_upstream_ejections_total"
REPLICAS = "kunruyi_gateway_upstream_replicas"
OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Replica:
    """A raw HTTP/1.1 upstream on ``host:port`` that records the request lines (not ``/readyz``) it received;
    ``hang_up_after_request``: read a request, then close without answering; ``slow``: hold a ``/slow`` request
    until the event is set."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host, self.port = host, port or free_port()
        self.seen: list[bytes] = []
        self.hang_up_after_request = False
        self.slow: asyncio.Event | None = None
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:") and int(line.split(b":", 1)[1]):
                        await reader.readexactly(int(line.split(b":", 1)[1]))
                request_line = head.split(b"\r\n", 1)[0]
                if b" /readyz " not in request_line:
                    self.seen.append(request_line)
                    if self.hang_up_after_request:
                        return
                    if self.slow is not None and b"/slow " in request_line:
                        await self.slow.wait()
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            await self.server.wait_closed()
            self.server = None


@asynccontextmanager
async def replicas(*nodes: Replica) -> AsyncIterator[None]:
    for node in nodes:
        await node.start()
    try:
        yield
    finally:
        for node in nodes:
            await node.stop()


@asynccontextmanager
async def upstreams_for(urls: str, **options: Any) -> AsyncIterator[Upstreams]:
    upstreams = Upstreams(
        {"policy": urls},
        connect_timeout=1.0,
        read_timeout=5.0,
        breaker_threshold=5,
        breaker_cooldown_s=5.0,
        **{"eject_s": 0.3, "health_interval_s": 0.1, "dns_refresh_s": 0.1, **options},
    )
    try:
        yield upstreams
    finally:
        await upstreams.close()


async def eventually(check: Any, what: str, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.05)


def test_settings_accept_a_comma_separated_list_of_replicas() -> None:
    settings = Settings(upstream_policy_url="http://127.0.0.1:8001, http://127.0.0.1:8011/")
    upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=1.0,
        read_timeout=1.0,
        breaker_threshold=5,
        breaker_cooldown_s=5.0,
    )
    assert upstreams.urls["policy"] == ["http://127.0.0.1:8001", "http://127.0.0.1:8011"]
    assert upstreams.urls["talent"] == ["http://127.0.0.1:8002"]
    assert len(upstreams.groups["policy"].replicas) == 2


async def test_requests_are_spread_over_the_replicas_and_the_least_loaded_is_chosen() -> None:
    a, b = Replica(), Replica()
    async with replicas(a, b), upstreams_for(f"{a.url},{b.url}") as upstreams:
        for i in range(10):
            assert await upstreams.call("policy", "GET", f"/api/v1/policies/{i}") == (200, b"{}")
        # Idle replicas tie: taken in turn.
        assert len(a.seen) == 5 and len(b.seen) == 5

        # One replica holds a slow request: every request meanwhile goes to the other, with nothing outstanding.
        hold = asyncio.Event()
        a.slow = b.slow = hold
        pending = asyncio.create_task(upstreams.call("policy", "GET", "/api/v1/policies/slow"))
        await eventually(lambda: _true(len(a.seen) + len(b.seen) == 11), "the slow request arrived")
        holder, other = (a, b) if a.seen[-1].endswith(b"/slow HTTP/1.1") else (b, a)
        holder_before, other_before = len(holder.seen), len(other.seen)
        other.slow = None
        for i in range(4):
            assert await upstreams.call("policy", "GET", f"/api/v1/policies/busy-{i}") == (200, b"{}")
        assert len(other.seen) == other_before + 4 and len(holder.seen) == holder_before
        hold.set()
        assert (await pending)[0] == 200


async def _true(value: bool) -> bool:
    return value


async def test_a_dead_replica_is_ejected_requests_go_to_the_other_and_it_is_probed_back() -> None:
    a, b = Replica(), Replica()
    async with replicas(a, b), upstreams_for(f"{a.url},{b.url}") as upstreams:
        assert (await upstreams.call("policy", "GET", "/api/v1/policies/warm"))[0] == 200
        ejections_before = REGISTRY.get_sample_value(EJECTIONS, {"upstream": "policy"}) or 0
        await a.stop()
        a.seen.clear()
        b.seen.clear()
        # GETs and POSTs alike: a connect that failed wrote nothing, so it goes to the other replica.
        for i in range(6):
            assert await upstreams.call("policy", "GET", f"/api/v1/policies/{i}") == (200, b"{}")
            status, _ = await upstreams.call("policy", "POST", "/api/v1/policies", body=b"{}")
            assert status == 200
        assert len(b.seen) == 12 and not a.seen
        group = upstreams.groups["policy"]
        dead = next(r for r in group.replicas if r.url == a.url)
        assert dead.ejected
        assert (REGISTRY.get_sample_value(EJECTIONS, {"upstream": "policy"}) or 0) > ejections_before
        await eventually(
            lambda: _true(
                REGISTRY.get_sample_value(REPLICAS, {"upstream": "policy", "state": "ejected"}) == 1
            ),
            "the gauge shows the ejected replica",
        )

        # Back up: the health check takes it back and it gets its share again.
        await a.start()
        await eventually(lambda: _true(not dead.ejected), "the replica was probed back")
        for i in range(6):
            assert (await upstreams.call("policy", "GET", f"/api/v1/policies/again-{i}"))[0] == 200
        assert a.seen


async def test_a_written_post_is_never_sent_to_another_replica() -> None:
    a, b = Replica(), Replica()
    a.hang_up_after_request = True
    b.hang_up_after_request = True
    async with replicas(a, b), upstreams_for(f"{a.url},{b.url}") as upstreams:
        with pytest.raises(ProblemError) as refused:
            await upstreams.call("policy", "POST", "/api/v1/applications", body=b"{}")
        assert refused.value.code == "upstream_unavailable"
        # It reached one replica, which may have acted on it: nobody else got it.
        assert len(a.seen) + len(b.seen) == 1


async def test_a_read_whose_replica_dies_under_it_goes_to_the_other() -> None:
    a, b = Replica(), Replica()
    a.hang_up_after_request = True
    async with replicas(a, b), upstreams_for(f"{a.url},{b.url}") as upstreams:
        for i in range(4):
            assert await upstreams.call("policy", "GET", f"/api/v1/policies/{i}") == (200, b"{}")
        assert len(b.seen) == 4 and a.seen  # A took some, dropped them, and B answered each


async def test_a_name_resolving_to_several_addresses_is_one_replica_per_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    a, b = Replica("127.0.0.1", port), Replica("127.0.0.2", port)
    answer = ["127.0.0.1", "127.0.0.2"]
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, p: int, **_: Any) -> list[Any]:
        assert host == "policy.internal"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, p)) for address in answer]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    async with replicas(a, b), upstreams_for(f"http://policy.internal:{port}") as upstreams:
        group = upstreams.groups["policy"]
        assert (await upstreams.call("policy", "GET", "/api/v1/policies/first"))[0] == 200
        await eventually(lambda: _true(len(group.replicas) == 2), "both addresses became replicas")
        for i in range(8):
            assert (await upstreams.call("policy", "GET", f"/api/v1/policies/{i}"))[0] == 200
        assert a.seen and b.seen

        # One replica scaled away: the name resolves to the other alone, which takes everything.
        answer[:] = ["127.0.0.2"]
        await eventually(lambda: _true(len(group.replicas) == 1), "the vanished address left")
        a.seen.clear()
        b.seen.clear()
        for i in range(4):
            assert (await upstreams.call("policy", "GET", f"/api/v1/policies/x{i}"))[0] == 200
        assert len(b.seen) == 4 and not a.seen


async def test_through_the_gateway_a_killed_replica_costs_no_error(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway, staff_token
) -> None:
    a, b = Replica(), Replica()
    settings = gateway_settings.model_copy(
        update={"upstream_policy_url": f"{a.url},{b.url}", "upstream_eject_s": 0.3}
    )
    async with replicas(a, b), serve_gateway(settings) as gw:
        async with httpx.AsyncClient(
            base_url=gw.url, headers={"Authorization": f"Bearer {staff_token('officer')}"}
        ) as c:
            for i in range(4):
                assert (await c.get(f"/api/v1/policies/{i}")).status_code == 200
            assert a.seen and b.seen
            await a.stop()
            statuses = [(await c.get(f"/api/v1/policies/after-{i}")).status_code for i in range(8)]
            assert statuses == [200] * 8
