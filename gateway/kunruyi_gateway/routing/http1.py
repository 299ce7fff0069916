"""A lean HTTP/1.1 client for the gateway's calls to the services: keep-alive connection pools per upstream on
asyncio streams (TLS for ``https`` upstreams), answers parsed by ``httptools`` (llhttp, the parser uvicorn uses).

httpx costs about a millisecond per request here and its pool degrades sharply under concurrency (≈700 → ≈320
requests/s from 1 to 16 concurrent on the benchmark machine); this does only what a reverse proxy needs: send the
head as received, stream the body, and let a maintained parser decide where the answer ends. The parser refuses
what a smuggling attempt or a broken server produces — two Content-Length headers (even equal), Content-Length
next to Transfer-Encoding, a malformed or folded header line, a bad status line or chunk — and any such answer is
an :class:`UpstreamProtocolError` (the proxy answers 503 ``upstream_unavailable``) on a connection that is closed.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httptools
from kunruyi_common.http_server import UNIX_SCHEME

# uvicorn drops idle keep-alive connections after 5 s; never reuse one that close to that edge.
IDLE_TTL_S = 4.0
_HEAD_LIMIT = 64 * 1024
_READ_SIZE = 64 * 1024


class UpstreamConnectError(Exception):
    pass


class UpstreamTimeout(Exception):
    pass


class UpstreamProtocolError(Exception):
    def __init__(self, message: str, *, before_response: bool) -> None:
        super().__init__(message)
        self.before_response = before_response


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False
    idle_since: float = 0.0

    def close(self) -> None:
        self.writer.close()

    def idle_and_sound(self) -> bool:
        """Open, not at end of stream, no error, and nothing unread: a byte on a connection with no request
        outstanding (the rest of an answer longer than it said, a second answer) means the two ends no longer
        agree where one answer ends; such a connection is never used again."""
        reader = self.reader
        return (
            not self.writer.is_closing()
            and not reader.at_eof()
            and reader.exception() is None
            and not getattr(reader, "_buffer", b"")
        )


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
        try:
            # The TLS handshake (certificate and host name checked) is part of connecting, and of its timeout.
            if self.unix_path is not None:
                opening = asyncio.open_unix_connection(self.unix_path, limit=_HEAD_LIMIT)
            else:
                opening = asyncio.open_connection(
                    self.address,
                    self.port,
                    limit=_HEAD_LIMIT,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
            reader, writer = await asyncio.wait_for(opening, connect_timeout)
        except TimeoutError as exc:
            raise UpstreamConnectError("connect timeout") from exc
        except OSError as exc:  # ssl.SSLError (a certificate not trusted, a wrong host name) included
            raise UpstreamConnectError(str(exc)) from exc
        return Connection(reader, writer)

    def release(self, conn: Connection) -> None:
        """Back to the pool; only for a connection whose answer was read to its end and said it may be reused
        (``UpstreamResponse.reusable``)."""
        if len(self.idle) < self.max_idle and conn.idle_and_sound():
            conn.idle_since = time.monotonic()
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
        "chunked",
        "codings",
        "complete",
        "headers",
        "headers_done",
        "length",
        "remaining",
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
        self.remaining = 0
        self.chunked = False
        self.codings: list[bytes] = []
        self.until_eof = False
        self.reusable = False
        self._body: list[bytes] = []

    # -- httptools callbacks --------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:
            self.trailing = True

    def on_header(self, name: bytes, value: bytes) -> None:
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
        self._body.append(body)

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
            self.remaining = self.length
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
        return data


async def send_head_and_body(
    conn: Connection, head: bytes, body: bytes | AsyncIterator[bytes] | None
) -> None:
    writer = conn.writer
    if body is None or isinstance(body, bytes):
        writer.write(head + (body or b""))
    else:
        writer.write(head)
        async for chunk in body:
            if chunk:
                writer.write(chunk)
                await writer.drain()
    await writer.drain()


async def _read_head(conn: Connection, read_timeout: float, *, first: bool) -> bytes:
    # The head ends at its empty line (CRLF CRLF, as HTTP/1.1 requires); its content is the parser's to judge.
    try:
        async with asyncio.timeout(read_timeout):
            return await conn.reader.readuntil(b"\r\n\r\n")
    except TimeoutError as exc:
        raise UpstreamTimeout("response timeout") from exc
    except asyncio.IncompleteReadError as exc:
        raise UpstreamProtocolError("connection closed", before_response=first and not exc.partial) from exc
    except (ConnectionError, asyncio.LimitOverrunError) as exc:
        raise UpstreamProtocolError(type(exc).__name__, before_response=first) from exc


async def read_response_head(conn: Connection, read_timeout: float, method: str) -> UpstreamResponse:
    first = True
    while True:
        raw = await _read_head(conn, read_timeout, first=first)
        resp = UpstreamResponse()
        resp.feed(raw)
        if not resp.headers_done:  # pragma: no cover - a complete head always completes the headers
            raise UpstreamProtocolError("incomplete head", before_response=False)
        if resp.status >= 200:
            resp.frame(method)
            return resp
        # An interim answer (100 Continue, 103 Early Hints): the final one follows on the same connection.
        first = False


async def _read_some(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> bool:
    """Read what is there (never past a Content-Length) and feed it to the parser; False at end of stream."""
    size = min(resp.remaining, _READ_SIZE) if resp.length is not None else _READ_SIZE
    reader = conn.reader
    try:
        if getattr(reader, "_buffer", None):
            # Already received (a small body arrives with its head): no wait, so no timer to arm.
            data = await reader.read(size)
        else:
            async with asyncio.timeout(read_timeout):
                data = await reader.read(size)
    except TimeoutError as exc:
        raise UpstreamTimeout("body timeout") from exc
    except ConnectionError as exc:
        raise UpstreamProtocolError("body cut short", before_response=False) from exc
    if not data:
        if resp.until_eof:
            resp.complete = True
            return False
        raise UpstreamProtocolError("body cut short", before_response=False)
    if resp.length is not None:
        resp.remaining -= len(data)
    resp.feed(data)
    return True


async def read_some(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> bytes:
    """The body bytes that one read brings (what arrived with the head, or the first piece of a stream)."""
    if not resp.complete:
        await _read_some(conn, resp, read_timeout)
    return resp.take_body()


async def read_body(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> bytes:
    """The whole body (for answers known to be small)."""
    parts = []
    while not resp.complete:
        await _read_some(conn, resp, read_timeout)
        parts.append(resp.take_body())
    parts.append(resp.take_body())
    return b"".join(parts)


async def iter_body(conn: Connection, resp: UpstreamResponse, read_timeout: float) -> AsyncIterator[bytes]:
    while not resp.complete:
        await _read_some(conn, resp, read_timeout)
        data = resp.take_body()
        if data:
            yield data
    data = resp.take_body()
    if data:
        yield data
