"""A floor for the gateway benchmark: the least a Python proxy can do per request — copy bytes.

Each client connection gets its own connection to the stub, and whatever arrives on one side is written to the
other (uvloop, asyncio protocols, no parsing, no headers, no logging, no metrics). No HTTP gateway written in Python
on this event loop can do less per request, so its throughput relative to a direct call bounds what the real
gateway can reach on the same machine.

    python bare_relay.py LISTEN_PORT UPSTREAM_PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvloop


class _Side(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's TCP transport (not an asyncio.Transport subclass)
        self.peer: _Side | None = None
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


class _Client(_Side):
    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_connection(_Side, "127.0.0.1", self.upstream_port)
        upstream.peer, self.peer = self, upstream
        for data in self.pending:
            assert upstream.transport is not None
            upstream.transport.write(data)
        self.pending.clear()


async def main(port: int, upstream_port: int) -> None:
    server = await asyncio.get_running_loop().create_server(lambda: _Client(upstream_port), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), int(sys.argv[2])))
