"""One failing request never breaks the next: the proxy hands out a kept-alive upstream connection only when the
previous answer on it was complete and unambiguous.

The reported defect: after an upstream 500, the next POST through the gateway was a 503 (the service closed the
connection after answering, the gateway reused it and rightly did not repeat the POST)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from kunruyi_common.errors import install_error_handlers
from kunruyi_common.middleware import RequestContextMiddleware
from kunruyi_launcher.infra import free_port

SERVICES = ("policy", "talent", "disbursement", "matching")


def failing_upstream(kit: bool) -> FastAPI:
    """A service with an endpoint that has a bug. ``kit``: assembled as every Kunruyi service is (the kit's
    error handling); otherwise a bare FastAPI app, whose last-resort handler answers and then re-raises, so
    uvicorn closes the connection after the 500 without saying so."""
    app = FastAPI()
    if kit:
        install_error_handlers(app)
        app.add_middleware(RequestContextMiddleware, service="test-upstream")

    @app.post("/api/v1/tickets/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/api/v1/tickets")
    async def create(request: Request) -> dict[str, Any]:
        return {"received": (await request.body()).decode()}

    return app


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, http="httptools")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def gateway_to(url: str, gateway_settings: Any, serve_gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings.model_copy(update={f"upstream_{name}_url": url for name in SERVICES})
    # One connection from the test to the gateway, kept alive throughout.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url, limits=limits) as c:
        yield c


@pytest.mark.parametrize("kit", [True, False], ids=["kit-service", "bare-upstream"])
async def test_an_upstream_500_then_a_post_on_one_keep_alive_connection(  # type: ignore[no-untyped-def]
    kit: bool, gateway_settings, serve_gateway, staff_token
) -> None:
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    async with (
        served(failing_upstream(kit)) as url,
        gateway_to(url, gateway_settings, serve_gateway) as c,
    ):
        for i in range(10):
            failed = await c.post("/api/v1/tickets/boom", json={"i": i}, headers=auth)
            assert failed.status_code == 500, failed.text
            if kit:
                assert failed.json()["code"] == "internal_error" and failed.json()["request_id"]
            posted = await c.post("/api/v1/tickets", content=f"ticket-{i}".encode(), headers=auth)
            assert posted.status_code == 200, posted.text
            assert posted.json() == {"received": f"ticket-{i}"}


@asynccontextmanager
async def raw_upstream(
    answers: dict[bytes, bytes], close_after: frozenset[bytes] = frozenset()
) -> AsyncIterator[tuple[str, list[tuple[int, bytes]]]]:
    """An upstream speaking raw HTTP/1.1: the answer for each path is given byte for byte. Records which
    connection (by number) each request line arrived on. After answering a path in ``close_after`` the
    connection dies as the next request arrives on it, unanswered (what uvicorn did after a 500 whose
    exception was raised again: it closed the connection a moment after a complete answer)."""
    seen: list[tuple[int, bytes]] = []
    counter = iter(range(1_000_000))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = next(counter)
        dying = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0]
                for h in head.split(b"\r\n"):
                    if h.lower().startswith(b"content-length:") and int(h.split(b":", 1)[1]):
                        await reader.readexactly(int(h.split(b":", 1)[1]))
                seen.append((number, line))
                if dying:
                    break
                path = line.split(b" ")[1]
                dying = path in close_after
                writer.write(
                    answers.get(
                        path,
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
                    )
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    port = free_port()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()
        await server.wait_closed()


DOUBTFUL = {
    # Longer than it said: the rest would be read as the next request's answer.
    b"/api/v1/policies/extra": b'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n"smuggle"',
    # Both framings at once (a smuggling pattern).
    b"/api/v1/policies/both": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    # Two lengths.
    b"/api/v1/policies/twice": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}",
    # An HTTP/1.0 answer.
    b"/api/v1/policies/old": b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}",
    # A server error that keeps the connection "alive".
    b"/api/v1/policies/error": b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\n{}",
    # A header line that is not "name: value".
    b"/api/v1/policies/garbage": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nnot a header\r\n\r\n{}",
}


async def test_a_connection_is_never_reused_after_a_doubtful_answer(gateway_settings, serve_gateway) -> None:  # type: ignore[no-untyped-def]
    interim = b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n"final"'
    headed = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n"
    answers = {**DOUBTFUL, b"/api/v1/policies/continue": interim, b"/api/v1/policies/headed": headed}
    async with raw_upstream(answers) as (url, seen):
        async with gateway_to(url, gateway_settings, serve_gateway) as c:
            for path in DOUBTFUL:
                seen.clear()
                await c.get(path.decode())
                after = await c.get("/api/v1/policies/next")
                assert after.status_code == 200 and after.json() == {}, (path, after.text)
                (first, _), (second, _) = seen
                assert first != second, f"the connection was reused after {path!r}"

            # A sound answer leaves a connection the next request rides on; an interim answer is skipped.
            seen.clear()
            final = await c.get("/api/v1/policies/continue")
            assert final.status_code == 200 and final.json() == "final"
            assert (await c.get("/api/v1/policies/next")).json() == {}
            (first, _), (second, _) = seen
            assert first == second

            # The answer to a HEAD has no body, whatever length it names: it is not waited for, and the
            # connection carries the next request.
            seen.clear()
            head = await c.head("/api/v1/policies/headed")
            assert head.status_code == 200 and head.headers["content-length"] == "7"
            assert (await c.get("/api/v1/policies/next")).json() == {}
            (first, _), (second, _) = seen
            assert first == second


async def test_after_a_500_a_post_goes_on_a_fresh_connection(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway, staff_token
) -> None:
    """The reported sequence, made exact: a 500 on a kept-alive connection the upstream then drops. The POST
    that follows is never written to that connection, so it is answered (and sent exactly once)."""
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    error = (
        b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nerror"
    )
    boom = b"/api/v1/tickets/boom"
    async with (
        raw_upstream({boom: error}, close_after=frozenset({boom})) as (url, seen),
        gateway_to(url, gateway_settings, serve_gateway) as c,
    ):
        for i in range(5):
            seen.clear()
            assert (await c.post("/api/v1/tickets/boom", headers=auth)).status_code == 500
            posted = await c.post("/api/v1/tickets", json={"i": i}, headers=auth)
            assert posted.status_code == 200, posted.text
            assert [line for _, line in seen] == [
                b"POST /api/v1/tickets/boom HTTP/1.1",
                b"POST /api/v1/tickets HTTP/1.1",
            ]
