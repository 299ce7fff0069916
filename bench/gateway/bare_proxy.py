"""A second floor for the gateway benchmark: the least an HTTP-parsing Python proxy does per request.

Unlike ``bare_relay.py`` (bytes copied, nothing parsed), this proxy parses each request (httptools), makes a
request id, drops hop-by-hop and credential headers, sends the request on a pooled keep-alive connection to the
stub's Unix socket, parses the answer (httptools) and writes it back with the id — what the gateway's proxied
path does, without the gate, the metrics, the access line, error answers or timeouts. Two ways to serve it:

- ``protocol``: its own asyncio protocol on uvloop (no ASGI server at all);
- ``uvicorn``: a bare ASGI app on uvicorn as every app is served (``kunruyi_common.http_server``).

The gap between the two is what the ASGI server costs a proxied call; the gap between ``uvicorn`` and the gateway
is what the gateway's own work costs. Not a product component: request bodies, chunked answers, pipelining and
failures are not handled.

    python bare_proxy.py LISTEN_PORT UPSTREAM_UNIX_SOCKET protocol|uvicorn
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import httptools
import uvloop

# What a proxy does not pass on: hop-by-hop headers, the host, the caller's credentials, a service's date/server.
_DROPPED = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"upgrade",
        b"proxy-connection",
        b"host",
        b"authorization",
        b"cookie",
        b"content-length",
        b"date",
        b"server",
    }
)


class _Upstream(asyncio.Protocol):
    """One keep-alive connection to the stub; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: Any = None
        self.waiter: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name not in _DROPPED:
            self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def connection_lost(self, exc: Exception | None) -> None:
        # The stub closes a keep-alive connection idle for a few seconds (between runs).
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the stub closed the connection"))

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        headers, self.headers = self.headers, []
        body, self.body = b"".join(self.body), []
        if waiter is not None:
            waiter.set_result((self.parser.get_status_code(), headers, body))


class _Pool:
    def __init__(self, path: str) -> None:
        self.path = path
        self.idle: list[_Upstream] = []

    async def exchange(self, head: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        loop = asyncio.get_running_loop()
        while self.idle and self.idle[-1].transport is None:
            self.idle.pop()
        if self.idle:
            upstream = self.idle.pop()
        else:
            _, upstream = await loop.create_unix_connection(_Upstream, self.path)
        upstream.waiter = loop.create_future()
        upstream.transport.write(head)
        answer = await upstream.waiter
        self.idle.append(upstream)
        return answer


def _request_head(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], request_id: bytes
) -> bytes:
    parts = [method, b" ", target, b" HTTP/1.1\r\nhost: service\r\nx-request-id: ", request_id, b"\r\n"]
    for name, value in headers:
        if name not in _DROPPED:
            parts += [name, b": ", value, b"\r\n"]
    parts.append(b"\r\n")
    return b"".join(parts)


class _Front(asyncio.Protocol):
    """The ``protocol`` way: requests parsed here, answers written here."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_message_complete(self) -> None:
        headers, self.headers = self.headers, []
        asyncio.get_running_loop().create_task(self._answer(self.parser.get_method(), self.url, headers))

    async def _answer(self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        request_id = os.urandom(16).hex().encode()
        status, answer_headers, body = await self.pool.exchange(
            _request_head(method, target, headers, request_id)
        )
        parts = [b"HTTP/1.1 %d \r\n" % status]
        for name, value in answer_headers:
            parts += [name, b": ", value, b"\r\n"]
        parts += [b"x-request-id: ", request_id, b"\r\ncontent-length: %d\r\n\r\n" % len(body), body]
        self.transport.write(b"".join(parts))


def _asgi_app(pool: _Pool) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request_id = os.urandom(16).hex().encode()
        query = scope["query_string"]
        target = scope["raw_path"] + (b"?" + query if query else b"")
        status, headers, body = await pool.exchange(
            _request_head(scope["method"].encode(), target, scope["headers"], request_id)
        )
        headers.append((b"x-request-id", request_id))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def _serve_protocol(port: int, pool: _Pool) -> None:
    server = await asyncio.get_running_loop().create_server(lambda: _Front(pool), "127.0.0.1", port)
    await server.serve_forever()


def main() -> None:
    port, socket_path, way = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    pool = _Pool(socket_path)
    if way == "protocol":
        uvloop.run(_serve_protocol(port, pool))
    elif way == "uvicorn":
        import uvicorn
        from kunruyi_common.http_server import server_config

        uvicorn.Server(server_config(_asgi_app(pool), host="127.0.0.1", port=port, lifespan="off")).run()
    else:
        raise SystemExit(f"unknown way {way!r}: protocol or uvicorn")


if __name__ == "__main__":
    main()
