"""A small real platform for the client's tests: the gateway and svc-talent, each on its real migrations in a
database of its own, served by uvicorn over real HTTP on free ports, plus a ``FlakyFront`` — a real HTTP server
in front of the gateway that fails the first attempts on purpose (answers lost after the gateway processed the
request, 503, 429) and then passes requests through.

The servers run on an event loop in a thread of their own, so both the sync client (blocking) and the async one
can call them from any test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from kunruyi_common.app import create_service_app
from kunruyi_common.validators import USCC_ALPHABET, build_uscc
from kunruyi_gateway.main import create_app as create_gateway
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET
from kunruyi_gateway.seed import seed as seed_gateway
from kunruyi_gateway.settings import Settings as GatewaySettings
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_launcher.testing import migrated_database
from kunruyi_talent.main import build_spec as talent_spec
from kunruyi_talent.settings import Settings as TalentSettings

T = TypeVar("T")


class ServerLoop:
    """An asyncio loop in a daemon thread; servers are started and stopped on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="client-test-servers", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Served:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=3,
            )
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Served:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


@dataclass
class Attempt:
    method: str
    target: str
    headers: dict[str, str]
    action: str


@dataclass
class FlakyFront:
    """A real HTTP/1.1 server in front of ``upstream``, one request per connection. Each request takes the next
    action of ``script`` (then ``pass``):

    - ``drop``: forward to the gateway, then close the connection without an answer (the record is made, the
      caller sees a connection error);
    - ``lost``: forward, then answer 502 instead of the gateway's answer;
    - ``503`` / ``429``: answer that problem (``Retry-After: 0``) without forwarding;
    - ``pass``: forward and relay the gateway's answer.
    """

    upstream: str
    script: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    port: int = 0
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FlakyFront:
        self.port = free_port()
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def fail_next(self, *actions: str) -> None:
        self.script = list(actions)
        self.attempts = []

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
        lower = {name.lower(): value for name, value in headers}
        body = await reader.readexactly(int(lower.get("content-length", "0")))
        action = self.script.pop(0) if self.script else "pass"
        self.attempts.append(Attempt(method, target, lower, action))
        try:
            if action in ("drop", "lost", "pass"):
                forward = {
                    n: v for n, v in headers if n.lower() not in {"host", "content-length", "connection"}
                }
                async with httpx.AsyncClient(timeout=30.0) as http:
                    answer = await http.request(method, self.upstream + target, headers=forward, content=body)
                if action == "drop":
                    return
                if action == "pass":
                    await _write(writer, answer.status_code, list(answer.headers.items()), answer.content)
                    return
            status, code = {"lost": (502, "bad_gateway"), "503": (503, "upstream_unavailable")}.get(
                action, (429, "rate_limited")
            )
            problem = {"type": "about:blank", "title": "故障注入", "status": status, "code": code}
            await _write(
                writer,
                status,
                [("content-type", "application/problem+json"), ("retry-after", "0")],
                json.dumps(problem).encode(),
            )
        finally:
            writer.close()


async def _write(
    writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
    lines = [f"HTTP/1.1 {status} X"] + [f"{n}: {v}" for n, v in headers if n.lower() not in skip]
    lines += [f"content-length: {len(body)}", "connection: close", "", ""]
    writer.write("\r\n".join(lines).encode("latin-1") + body)
    await writer.drain()


@dataclass
class MiniPlatform:
    gateway: Served
    talent: Served
    front: FlakyFront
    loop: ServerLoop
    app_key: str = DEMO_APP_KEY
    secret: str = DEMO_SECRET

    @property
    def url(self) -> str:
        return self.gateway.url

    def staff_token(self, role: str) -> str:
        app = self.gateway.app
        settings: GatewaySettings = app.state.settings
        token: str = app.state.gateway_issuer.mint(
            issuer=settings.dev_issuer,
            audience=settings.oidc_audience,
            subject=f"client-test-{role}",
            ttl_s=600,
            name="客户端测试",
            roles=[role],
            department=None,
        )
        return token


@pytest.fixture(scope="session")
def mini_platform(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiniPlatform]:
    talent_settings = TalentSettings(
        database_url=migrated_database(infra, "kunruyi_talent", "client_talent"),
        nats_url=infra.nats_url,
        run_background_workers=False,
    )
    loop = ServerLoop()
    talent = loop.run(Served(create_service_app(talent_spec(), talent_settings)).start())
    gateway_settings = GatewaySettings(
        database_url=migrated_database(infra, "kunruyi_gateway", "client_gateway"),
        nats_url=infra.nats_url,
        run_background_workers=False,
        upstream_talent_url=talent.url,
        app_key_cache_ttl_s=0.0,
        staff_rate="100000/minute",
        public_rate="100000/minute",
        dev_issuer_dir=Path(tmp_path_factory.mktemp("client-issuer")),
    )
    run_coroutine(seed_gateway(gateway_settings))
    gateway = loop.run(Served(create_gateway(gateway_settings)).start())
    front = loop.run(FlakyFront(gateway.url).start())
    try:
        yield MiniPlatform(gateway, talent, front, loop)
    finally:
        loop.run(front.stop())
        loop.run(gateway.stop())
        loop.run(talent.stop())
        loop.close()


_rng = random.Random()
_seq = itertools.count(1)


def _new_uscc() -> str:
    return build_uscc("".join(_rng.choice(USCC_ALPHABET) for _ in range(8)), authority="9", entity_type="1")


def _enterprise(name: str | None = None, **changes: Any) -> dict[str, Any]:
    return {
        "uscc": _new_uscc(),
        "name": name or f"昆山客户端测试{next(_seq)}号科技有限公司",
        "district": "高新区",
        "industry_chain": "集成电路",
        "founded_on": "2019-06-01",
        "employees": 50,
        "invention_patents": 2,
        **changes,
    }


@pytest.fixture(scope="session")
def new_uscc() -> Callable[[], str]:
    """``new_uscc()`` → a fresh, valid USCC (a Kunshan enterprise)."""
    return _new_uscc


@pytest.fixture(scope="session")
def enterprise() -> Callable[..., dict[str, Any]]:
    """``enterprise(name=None, **changes)`` → a valid enterprise registration body with a fresh USCC."""
    return _enterprise
