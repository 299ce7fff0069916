"""The HTTP server protocol every app is served with: uvicorn's httptools protocol, with the writes one step of
the event loop makes leaving in one send.

uvicorn writes an answer's head as soon as the app sends ``http.response.start`` and its body on
``http.response.body``: two sends, two TCP segments, and on loopback two wake-ups of the reader, for every small
JSON answer. An app sends the two messages in one step of the loop (nothing in between waits), so holding the
bytes until the end of that step and sending them together changes nothing the client can observe but the number
of segments. Streamed bodies still leave chunk by chunk, each at the end of the step that wrote it; closing a
connection sends what is held first; aborting drops it, as aborting does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess


class CoalescingTransport:
    """A transport that holds what is written during one step of the loop and sends it at the step's end."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = [bytes(data)]
            self._loop.call_soon(self._send_held)
        else:
            held.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _send_held(self) -> None:
        held, self._held = self._held, None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        held = sum(len(data) for data in self._held) if self._held else 0
        return held + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, set_protocol, …) is the real transport's.
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's ``httptools`` protocol on a :class:`CoalescingTransport` (pass the class as ``http=``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]


# A service on the same machine as its caller: ``http+unix://<the socket's path, percent-encoded>``.
UNIX_SCHEME = "http+unix"


def unix_socket_url(path: Path | str) -> str:
    """The base URL of an app listening on the Unix socket ``path`` (``http+unix://%2Ftmp%2F…sock``)."""
    return f"{UNIX_SCHEME}://{quote(str(path), safe='')}"


def bind_unix_socket(path: Path) -> socket.socket:
    """A listening Unix socket at ``path``, readable and writable by this user only. A file already there is
    a socket left by a process that was killed: the caller bound the app's TCP port first, so no live app of
    ours listens on it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock.bind(str(path))
    path.chmod(0o600)
    sock.set_inheritable(True)
    return sock


def server_config(app: Any, *, host: str, port: int, workers: int = 1, **overrides: Any) -> uvicorn.Config:
    """How every app is served (tests serve theirs the same way, with ``overrides`` such as ``lifespan``): uvicorn
    with httptools and uvloop, answers in one send (:class:`CoalescingHttpToolsProtocol`), our JSON access lines
    instead of uvicorn's, and no ``server`` header (nothing says what answers). uvicorn's ``date`` header stays;
    the gateway drops a service's own when it relays an answer, so the caller gets one."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "http": CoalescingHttpToolsProtocol,
        "loop": "uvloop",
        "timeout_graceful_shutdown": 5,
    }
    return uvicorn.Config(app, **(options | overrides))


def serve(app: Any, *, host: str, port: int, workers: int, unix_socket: Path | None = None) -> None:
    """Serve the ASGI app ``app`` (an import path; with several workers it must be one) on ``host:port`` — and, with ``unix_socket``, on that path as well (what
    the gateway reaches a service on when both run on one machine: a Unix socket skips the TCP/IP stack that a
    loopback connection goes through twice per call), with ``workers`` processes sharing both."""
    config = server_config(app, host=host, port=port, workers=workers)
    sockets = [config.bind_socket()]
    if unix_socket is not None:
        sockets.append(bind_unix_socket(unix_socket))
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=sockets).run()
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        if unix_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                unix_socket.unlink()
    if workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
