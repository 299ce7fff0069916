"""An exception no handler takes is a complete 500 problem (with the request id its text asks the user to quote),
and the connection it came on stays usable: the next request on it, a POST, is answered normally.

Served by uvicorn over real HTTP and driven over one raw keep-alive connection, so nothing can quietly open a
second one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI, Request
from kunruyi_common.errors import install_error_handlers
from kunruyi_common.middleware import RequestContextMiddleware
from kunruyi_launcher.infra import free_port


def _app() -> FastAPI:
    # Assembled in the order create_service_app uses.
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="test")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/items")
    async def create(request: Request) -> dict[str, str]:
        return {"received": (await request.body()).decode()}

    return app


@pytest.fixture
async def served() -> AsyncIterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            _app(), host="127.0.0.1", port=port, log_config=None, access_log=False, http="httptools"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield port
    server.should_exit = True
    await task


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head[:-4].decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
    return status, headers, body


async def test_a_500_is_a_problem_with_request_id_and_the_connection_stays_usable(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    try:
        status, headers, body = await _exchange(
            reader, writer, b"GET /boom HTTP/1.1\r\nhost: t\r\nx-request-id: rid-boom-1\r\n\r\n"
        )
        assert status == 500
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["code"] == "internal_error" and problem["status"] == 500
        assert problem["request_id"] == "rid-boom-1" == headers["x-request-id"]
        assert "a bug" not in body.decode()  # internals never leak
        assert headers.get("connection", "").lower() != "close"

        # The same connection: the POST is answered, not dropped.
        status, _, body = await _exchange(
            reader,
            writer,
            b"POST /items HTTP/1.1\r\nhost: t\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello",
        )
        assert status == 200 and json.loads(body) == {"received": "hello"}
    finally:
        writer.close()
