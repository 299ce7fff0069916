"""A lean HTTP/1.1 client for the gateway's calls to the services: keep-alive connection pools per upstream, each
connection an asyncio protocol (TLS for ``https`` upstreams), answers parsed by ``httptools`` (llhttp, the parser
uvicorn uses).

httpx costs about a millisecond per request here and its pool degrades sharply under concurrency (≈700 → ≈320
requests/s from 1 to 16 concurrent on the benchmark machine); this does only what a reverse proxy needs: send the
head as received, stream the body, and let a maintained parser decide where the answer ends. The parser refuses
what a smuggling attempt or a broken server produces — two Content-Length headers (even equal), Content-Length
next to Transfer-Encoding, a malformed or folded header line, a bad status line or chunk — and any such answer is
an :class:`UpstreamProtocolError` (the proxy answers 503 ``upstream_unavailable``) on a connection that is closed.

What arrives goes from the socket straight to the answer being read: its head is cut at the empty line and parsed,
its body fed to the same parser, and the waiting request wakes once — a small answer, head and body in one
segment, costs one wake-up and no stream buffer, where asyncio streams cost a read of the head, a read of the
body and a timer for each. Bytes that arrive when no answer is awaited, or after the answer ended, make the
connection unsound: it is never used again.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import unquote, urlsplit

import httptools
from kunruyi_common.http_server import UNIX_SCHEME

# uvicorn drops idle keep-alive connections after 5 s; never reuse one that close to that edge.
IDLE_TTL_S = 4.0
_HEAD_LIMIT = 64 * 1024
# Body bytes held for a reader that is slower than the upstream: past this, the socket is not read until it takes
# them (the upstream is slowed down, not the gateway's memory filled).
_HIGH_WATER = 128 * 1024


class UpstreamConnectError(Exception):
    pass


class UpstreamTimeout(Exception):
    pass


class UpstreamProtocolError(Exception):
    def __init__(self, message: str, *, before_response: bool) -> None:
        super().__init__(message)
        self.before_response = before_response


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(UpstreamTimeout("timeout"))


class Connection(asyncio.Protocol):
    """One connection to an upstream, kept alive between requests; at most one request on it at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reused = False
        self.idle_since = 0.0
        self._answer: UpstreamResponse | None = None
        self._method = "GET"
        self._head = bytearray()
        self._received = False  # any byte of the answer to the current request
        self._interim = False  # an interim answer (1xx) came before the final one
        self._failure: UpstreamProtocolError | None = None
        self._stray = False
        self._eof = False
        self._lost = False
        self._reset: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._read_paused = False

    # -- asyncio.Protocol ---------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        answer = self._answer
        if answer is None or answer.complete:
            # Nothing asked for this (a second answer, the rest of one longer than it said).
            self._stray = True
            if answer is not None:
                answer.trailing = True
                answer.reusable = False
            return
        self._received = True
        try:
            answer = self._fed(answer, data)
        except UpstreamProtocolError as exc:
            self._failure = exc
        self._wake()
        if answer.buffered > _HIGH_WATER and not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()

    def _fed(self, answer: UpstreamResponse, data: bytes) -> UpstreamResponse:
        """``data`` given to the answer being read; that answer (a new one when an interim answer ended)."""
        if not answer.framed:
            rest = self._take_head(data)
            answer = self._answer or answer
            if rest is None:
                return answer
            data = rest
        if data:
            if answer.complete:  # an answer without a body (HEAD, 204, 304, length 0) followed by bytes
                answer.trailing = True
                answer.reusable = False
            else:
                answer.feed(data)
        return answer

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = self._lost = True
        self._reset = exc
        self._wake()
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_exception(ConnectionResetError("connection lost"))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- the answer ---------------------------------------------------------------------------------------------
    def _take_head(self, data: bytes) -> bytes | None:
        """Gather the head to its empty line (CRLF CRLF, as HTTP/1.1 requires; its content is the parser's to
        judge) and parse it; the bytes after it, or None while the head is incomplete. An interim answer (100
        Continue, 103 Early Hints) is read and dropped: the final one follows on the same connection."""
        head = self._head
        head += data
        while True:
            end = head.find(b"\r\n\r\n")
            if end > _HEAD_LIMIT or (end < 0 and len(head) > _HEAD_LIMIT):
                # An answer came, however broken: the request is never sent again.
                raise UpstreamProtocolError("head too long", before_response=False)
            if end < 0:
                return None
            raw, rest = bytes(head[: end + 4]), bytes(head[end + 4 :])
            head.clear()
            answer = self._answer
            assert answer is not None
            answer.feed(raw)
            if not answer.headers_done:  # pragma: no cover - a complete head always completes the headers
                raise UpstreamProtocolError("incomplete head", before_response=False)
            if answer.status >= 200:
                answer.frame(self._method)
                return rest
            self._interim = True
            self._answer = UpstreamResponse()
            head += rest

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self, deadline: float) -> None:
        """Until something arrives (or the connection ends); UpstreamTimeout at ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _resume_reading(self) -> None:
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()

    # -- the pool's view ----------------------------------------------------------------------------------------
    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def idle_and_sound(self) -> bool:
        """Open, not at end of stream, no error, and nothing unread: a byte on a connection with no request
        outstanding (the rest of an answer longer than it said, a second answer) means the two ends no longer
        agree where one answer ends; such a connection is never used again."""
        answer = self._answer
        return (
            self.transport is not None
            and not self.transport.is_closing()
            and not self._eof
            and self._failure is None
            and not self._stray
            and not self._head
            and (answer is None or (answer.complete and not answer.trailing and not answer.buffered))
        )

    def done_with_answer(self) -> None:
        """The answer was read to its end: from now on, any byte that arrives makes the connection unsound."""
        self._answer = None

    def expect(self, method: str) -> None:
        """A request is about to be written: what arrives from now on is its answer (``method``: a HEAD's answer
        has no body)."""
        if self.transport is None or self._lost or self.transport.is_closing():
            raise ConnectionResetError("connection closed")
        self._answer = UpstreamResponse()
        self._method = method
        self._received = self._interim = False

    async def drain(self) -> None:
        """Until the transport takes more writes (its buffer below the high-water mark)."""
        if self._lost:
            raise ConnectionResetError("connection lost")
        if self._write_paused:
            waiter = self._drain_waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._drain_waiter = None


class HostPool:
    """Idle connections to one upstream. An ``https`` URL is reached over TLS with ``ssl_context`` (certificate
    and host name verified); ``http`` in plaintext; ``http+unix://<path, percent-encoded>`` in plaintext over
    that Unix socket (a service on the same machine), with ``localhost`` as its Host. ``address``: connect to
    this IP address instead of resolving the URL's host (one replica behind a DNS name that resolves to
    several); the Host header and the TLS name stay the URL's."""

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 128,
        address: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", UNIX_SCHEME):
            raise ValueError(f"upstream URL must be http://, https:// or {UNIX_SCHEME}://, not {url!r}")
        self.unix_path: str | None = None
        if parts.scheme == UNIX_SCHEME:
            self.unix_path = unquote(parts.netloc)
            if not self.unix_path.startswith("/"):
                raise ValueError(f"a {UNIX_SCHEME}:// upstream names an absolute socket path, not {url!r}")
        self.host = "localhost" if self.unix_path else parts.hostname or "127.0.0.1"
        self.address = address or self.host
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self.ssl = ssl_context or ssl.create_default_context()
        self.base_path = parts.path.rstrip("/").encode()
        self.host_header = (self.host if self.unix_path else parts.netloc or self.host).encode()
        self.max_idle = max_idle
        self.idle: list[Connection] = []

    async def acquire(self, connect_timeout: float) -> Connection:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.idle_since < IDLE_TTL_S and conn.idle_and_sound():
                conn.reused = True
                return conn
            conn.close()
        loop = asyncio.get_running_loop()
        try:
            # The TLS handshake (certificate and host name checked) is part of connecting, and of its timeout.
            if self.unix_path is not None:
                opening = loop.create_unix_connection(Connection, self.unix_path)
            else:
                opening = loop.create_connection(
                    Connection,
                    self.address,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
            _, conn = await asyncio.wait_for(opening, connect_timeout)
        except TimeoutError as exc:
            raise UpstreamConnectError("connect timeout") from exc
        except OSError as exc:  # ssl.SSLError (a certificate not trusted, a wrong host name) included
            raise UpstreamConnectError(str(exc)) from exc
        return conn

    def release(self, conn: Connection) -> None:
        """Back to the pool; only for a connection whose answer was read to its end and said it may be reused
        (``UpstreamResponse.reusable``)."""
        if len(self.idle) < self.max_idle and conn.idle_and_sound():
            conn.idle_since = time.monotonic()
            conn.done_with_answer()
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class UpstreamResponse:
    """One answer as ``httptools.HttpResponseParser`` reads it (its callbacks are the ``on_*`` methods).

    ``reusable``: whether the connection may carry another request once this answer has been read to its end.
    Only when the answer is unambiguous: HTTP/1.1, keep-alive by the parser's reading of ``Connection``, framed
    by one Content-Length or by chunked, complete, with nothing after it, and not a server error (a 5xx says the
    upstream is in trouble, and it may drop the connection right after; the next request must not find that
    out)."""

    __slots__ = (
        "_body",
        "_parser",
        "buffered",
        "chunked",
        "codings",
        "complete",
        "framed",
        "headers",
        "headers_done",
        "length",
        "reusable",
        "status",
        "trailing",
        "until_eof",
    )

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        # Bytes that began another message after this one completed (on_message_begin again).
        self.trailing = False
        self.length: int | None = None
        self.chunked = False
        self.codings: list[bytes] = []
        self.until_eof = False
        self.reusable = False
        self.framed = False
        self._body: list[bytes] = []
        self.buffered = 0

    # -- httptools callbacks --------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:
            self.trailing = True

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.headers_done:  # a chunked body's trailer fields, or a second answer's head: not this head's
            return
        name = name.lower()
        self.headers.append((name, value))
        if name == b"content-length":
            self.length = int(value)  # the parser has checked it: digits, and only one
        elif name == b"transfer-encoding":
            self.codings.extend(c.strip() for c in value.lower().split(b",") if c.strip())

    def on_headers_complete(self) -> None:
        parser = self._parser
        self.status = parser.get_status_code()
        self.headers_done = True
        self.reusable = (
            parser.get_http_version() == "1.1" and parser.should_keep_alive() and self.status < 500
        )

    def on_body(self, body: bytes) -> None:
        if not self.complete:  # never a byte of a second answer
            self._body.append(body)
            self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True

    # -- feeding ----------------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            raise UpstreamProtocolError("protocol switch not supported", before_response=False) from exc
        except httptools.HttpParserError as exc:
            if not self.complete:
                raise UpstreamProtocolError(f"malformed answer: {exc}", before_response=False) from exc
            # Garbage after a complete answer: the answer stands, the connection does not.
            self.trailing = True
        if self.trailing:
            self.reusable = False

    def frame(self, method: str) -> None:
        """After the head: how the body is delimited. The parser has already refused conflicting framing."""
        codings = self.codings
        self.framed = True
        if method == "HEAD" or self.status in (204, 304):
            self.length = None
            self.complete = True
            return
        if codings:
            if codings != [b"chunked"]:
                # The gateway relays bodies as they are and decodes no transfer-coding but chunked.
                raise UpstreamProtocolError(
                    f"unsupported transfer-coding {b','.join(codings)!r}", before_response=False
                )
            self.chunked = True
            return
        if self.length is not None:
            if self.length == 0:
                self.complete = True
            return
        self.until_eof = True  # the body runs to the end of the connection
        self.reusable = False

    def take_body(self) -> bytes:
        if not self._body:
            return b""
        data = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._body.clear()
        self.buffered = 0
        return data


async def send_head_and_body(
    conn: Connection, head: bytes, body: bytes | AsyncIterator[bytes] | None, *, method: str
) -> None:
    """Send the request; from here on, what arrives is its answer (``method``: a HEAD's answer has no body)."""
    conn.expect(method)
    transport = cast(asyncio.Transport, conn.transport)
    if body is None or isinstance(body, bytes):
        transport.write(head + body if body else head)
    else:
        transport.write(head)
        async for chunk in body:
            if chunk:
                transport.write(chunk)
                await conn.drain()
    await conn.drain()


def _failed(conn: Connection) -> None:
    """Raise what ended the current answer early, if anything did."""
    if conn._failure is not None:
        raise conn._failure


async def read_response_head(conn: Connection, read_timeout: float) -> UpstreamResponse:
    """Wait for the final answer's head, ``read_timeout`` at most however it trickles in."""
    deadline = asyncio.get_running_loop().time() + read_timeout
    while True:
        answer = conn._answer
        assert answer is not None, "no request was sent on this connection"
        if answer.framed:
            return answer  # a body that fails after its head fails when it is read, as it would in a stream
        _failed(conn)
        if conn._eof:
            if conn._reset is not None:
                raise UpstreamProtocolError(type(conn._reset).__name__, before_response=not conn._interim)
            raise UpstreamProtocolError("connection closed", before_response=not conn._received)
        try:
            await conn._wait(deadline)
        except UpstreamTimeout as exc:
            raise UpstreamTimeout("response timeout") from exc


async def _more(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> None:
    """Wait until the body has bytes to take or has ended (``read_timeout`` at most, however it trickles in)."""
    deadline = asyncio.get_running_loop().time() + read_timeout
    while True:
        _failed(conn)
        if resp.buffered or resp.complete:
            return
        if conn._eof:
            if resp.until_eof and conn._reset is None:
                resp.complete = True
                return
            raise UpstreamProtocolError("body cut short", before_response=False)
        try:
            await conn._wait(deadline)
        except UpstreamTimeout as exc:
            raise UpstreamTimeout("body timeout") from exc


def _take(conn: Connection, resp: UpstreamResponse) -> bytes:
    data = resp.take_body()
    conn._resume_reading()
    return data


async def read_some(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> bytes:
    """The body bytes that are there (what arrived with the head, or the first piece of a stream)."""
    if not resp.complete:
        await _more(conn, resp, read_timeout)
    return _take(conn, resp)


async def read_body(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> bytes:
    """The whole body (for answers known to be small)."""
    parts = []
    while not resp.complete:
        await _more(conn, resp, read_timeout)
        parts.append(_take(conn, resp))
    parts.append(_take(conn, resp))
    return b"".join(parts)


async def iter_body(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> AsyncIterator[bytes]:
    while not resp.complete:
        await _more(conn, resp, read_timeout)
        data = _take(conn, resp)
        if data:
            yield data
    data = _take(conn, resp)
    if data:
        yield data
