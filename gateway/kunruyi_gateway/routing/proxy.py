"""The reverse proxy: one pooled async HTTP client, streamed bodies, hop-by-hop headers stripped,
per-upstream timeouts, replicas balanced by least outstanding requests (:mod:`.replicas`) and a circuit breaker
per replica so a dead or slow service answers 503 fast instead of hanging."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping, Sequence

import httpx
from kunruyi_common.background import stop_task
from kunruyi_common.errors import ProblemError, UpstreamUnavailable
from kunruyi_common.logging import outgoing_context_headers
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kunruyi_gateway.access.rules import rule_for
from kunruyi_gateway.partners import signature
from kunruyi_gateway.routing.exceptions import RouteNotFound
from kunruyi_gateway.routing.http1 import (
    Connection,
    UpstreamConnectError,
    UpstreamProtocolError,
    UpstreamResponse,
    UpstreamTimeout,
    iter_body,
    read_body,
    read_response_head,
    read_some,
    send_head_and_body,
)
from kunruyi_gateway.routing.replicas import CircuitBreaker, Replica, UpstreamGroup
from kunruyi_gateway.routing.table import upstream_for

__all__ = ["CircuitBreaker", "Upstreams", "proxy_endpoint", "upstream_list"]

logger = logging.getLogger("kunruyi.gateway.proxy")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        # The gateway sends the body at once; an upstream "100 Continue" would only be an extra answer to skip.
        b"expect",
    }
)
# Callers never get to speak for the gateway: these are set by the gateway alone. Nor do a caller's credentials
# travel on: the gateway has checked them, and a service trusts only the internal token — so a partner's signature,
# a bearer token or a session cookie never reaches a service, its logs or its error reports.
STRIPPED_INBOUND = frozenset(
    {
        b"x-kry-principal",
        b"x-request-id",
        b"traceparent",
        b"authorization",
        b"cookie",
        *(name.encode() for name in signature.CREDENTIAL_HEADERS),
    }
)
# Set on the way out by the gateway itself (its server's Date, the request id): a service's own would be a
# second copy.
REPLACED_OUTBOUND = frozenset({*HOP_BY_HOP, b"x-request-id", b"date", b"server"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SMALL_BODY = 256 * 1024
# Whitespace and control characters: never valid in a request target or a header name.
_UNSAFE_IN_HEAD = re.compile(r"[\x00-\x20\x7f]")


def upstream_list(urls: str | Sequence[str]) -> list[str]:
    """``"http://a:8001, http://b:8001"`` or a list → the base URLs, without trailing slashes."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    listed = [u.strip().rstrip("/") for u in items if u.strip()]
    if not listed:
        raise ValueError("an upstream needs at least one URL")
    return listed


class Upstreams:
    """The gateway's one client for the services: per upstream a list of replicas (:mod:`.replicas`: configured
    URLs and what their DNS names resolve to), each with a keep-alive pool (TLS for ``https``) and a circuit
    breaker, balanced by least outstanding requests with health-based ejection; a read timeout per upstream; and
    one retry/breaker loop (:meth:`_exchange`) that every call goes through — the proxy (:meth:`forward`), and the
    gateway's own requests (:meth:`call`: the 昆e服 page, the 一企来办 intake, readiness and the aggregated
    OpenAPI)."""

    def __init__(
        self,
        urls: Mapping[str, str | Sequence[str]],
        *,
        connect_timeout: float,
        read_timeout: float,
        breaker_threshold: int,
        breaker_cooldown_s: float,
        read_timeouts: dict[str, float] | None = None,
        ca_bundle: str | None = None,
        eject_s: float = 10.0,
        health_interval_s: float = 2.0,
        dns_refresh_s: float = 5.0,
    ) -> None:
        self.urls = {name: upstream_list(value) for name, value in urls.items()}
        # Certificates of ``https`` upstreams are checked against the system's trust store and, when given, a
        # bundle (a private CA) on top of it. The gateway's other HTTP client (JWKS, the provincial portal) trusts
        # the same.
        self.ssl_context = ssl.create_default_context()
        if ca_bundle:
            self.ssl_context.load_verify_locations(cafile=ca_bundle)
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout)
        self.client = httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30),
            follow_redirects=False,
            verify=self.ssl_context,
        )
        self.groups = {
            name: UpstreamGroup(
                name,
                listed,
                breaker_threshold,
                breaker_cooldown_s,
                self.ssl_context,
                eject_s=eject_s,
            )
            for name, listed in self.urls.items()
        }
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.read_timeouts = {name: (read_timeouts or {}).get(name, read_timeout) for name in self.urls}
        self.eject_s = eject_s
        self.health_interval_s = health_interval_s
        self.dns_refresh_s = dns_refresh_s
        self._maintenance: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await stop_task(self._maintenance)
        for group in self.groups.values():
            group.close()
        await self.client.aclose()

    def _maintain(self) -> None:
        """Start the health checks and DNS re-resolution (once, on the first request, in the serving loop)."""
        if self._maintenance is None:
            self._maintenance = asyncio.create_task(self._maintain_loop(), name="gateway-upstream-replicas")

    async def _maintain_loop(self) -> None:
        next_resolve = 0.0
        while True:
            try:
                if time.monotonic() >= next_resolve:
                    next_resolve = time.monotonic() + self.dns_refresh_s
                    for group in self.groups.values():
                        await group.resolve()
                await asyncio.gather(
                    *(group.probe(min(self.connect_timeout * 2, 2.0)) for group in self.groups.values())
                )
                for group in self.groups.values():
                    group.report()
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - a health round never takes the gateway down
                logger.exception("upstream health round failed")
            await asyncio.sleep(self.health_interval_s)

    def unavailable(self, name: str, reason: str) -> ProblemError:
        return UpstreamUnavailable(
            f"上游服务 {name} 暂不可用：{reason}",
            headers={"Retry-After": "5"},
            upstream=name,
        )

    @staticmethod
    def _done(replica: Replica) -> None:
        replica.outstanding = max(0, replica.outstanding - 1)

    async def _exchange(
        self,
        name: str,
        request_line: tuple[bytes, bytes],
        rest: bytes,
        body: bytes | AsyncIterator[bytes] | None,
        *,
        method: str,
        repeatable: bool,
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[Replica, Connection, UpstreamResponse]:
        """Send one request and read the head of its answer: the one retry/breaker loop.

        ``request_line`` is (method, target below the replica's base path) and ``rest`` the header lines after
        Host: the head is built for the replica chosen. The replica is the least loaded in rotation
        (:meth:`UpstreamGroup.pick`); every breaker open answers 503 at once. A failed connect, a timeout or a
        malformed answer counts against that replica's breaker (an answer, even a 5xx, resets it); a failed
        connect also ejects it from the rotation when the service has other replicas.

        The request goes again only when nothing can have been acted on twice: after a failed connect (nothing
        was sent) when the body can be sent again — to another replica if there is one, else once more to the
        same; on a kept-alive connection the upstream had just closed when ``repeatable`` (a safe method, or a
        request the upstream deduplicates by its Idempotency-Key); and a read (GET, HEAD, OPTIONS) whose
        connection dropped before any answer goes once to each other replica (a replica killed under it). Once a
        request has been written the gateway cannot tell "closed before it arrived" from "acted on, then
        dropped", so anything else — a POST, a PATCH — is never sent twice. (A connection found closed, cut short
        or holding stray bytes before anything is written is never used: the pool discards it and the request
        goes on a fresh one, whatever its method.)

        The replica returned has the request counted as outstanding until the caller calls :meth:`_done`."""
        group = self.groups[name]
        self._maintain()
        replica = group.pick()
        if replica is None:
            raise self.unavailable(name, "熔断中")
        replayable = body is None or isinstance(body, bytes)
        tried: set[Replica] = set()
        failed_connects = 0  # on the current replica
        stale = 0
        verb, target = request_line
        while True:
            pool = replica.pool
            head = verb + b" " + pool.base_path + target + b" HTTP/1.1\r\nhost: " + pool.host_header + rest
            replica.outstanding += 1
            try:
                conn = await pool.acquire(connect_timeout)
            except UpstreamConnectError as exc:
                self._done(replica)
                replica.breaker.record_failure()
                failed_connects += 1
                tried.add(replica)
                if len(group.replicas) > 1:
                    replica.eject(self.eject_s, f"connect failed ({exc})")
                if replayable:
                    other = group.pick(tried)
                    if other is not None:
                        replica, failed_connects = other, 0
                        continue
                    if failed_connects == 1:
                        continue
                raise self.unavailable(name, "无法连接") from exc
            try:
                await send_head_and_body(conn, head, body, method=method)
                upstream = await read_response_head(conn, read_timeout)
            except UpstreamTimeout as exc:
                conn.close()
                self._done(replica)
                replica.breaker.record_failure()
                raise self.unavailable(name, "响应超时") from exc
            except (UpstreamProtocolError, ConnectionError) as exc:
                conn.close()
                self._done(replica)
                before = getattr(exc, "before_response", True)
                if conn.reused and before and replayable and repeatable and stale < 2:
                    stale += 1
                    continue
                replica.breaker.record_failure()
                if before and replayable and method in SAFE_METHODS:
                    # A replica that died under a read: the read (safe, nothing to act on) goes to another one.
                    tried.add(replica)
                    other = group.pick(tried)
                    if other is not None:
                        replica, failed_connects = other, 0
                        continue
                raise self.unavailable(name, type(exc).__name__) from exc
            replica.breaker.record_success()
            return replica, conn, upstream

    async def forward(
        self, request: Request, name: str, extra_headers: dict[str, str] | None = None
    ) -> Response:
        method = request.method
        scope = request.scope
        target = scope.get("raw_path") or request.url.path.encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        lines: list[bytes] = []
        declared: str | None = None
        for k, v in scope["headers"]:
            if k not in HOP_BY_HOP and k not in STRIPPED_INBOUND:
                lines.append(k + b": " + v)
            elif k == b"content-length":
                declared = v.decode("latin-1")
        for key, value in {**outgoing_context_headers(), **(extra_headers or {})}.items():
            lines.append(key.lower().encode() + b": " + value.encode())
        # The gate may already hold the body (signed requests, chunked uploads); otherwise stream it through with
        # the length the caller declared.
        cached: bytes | None = getattr(request, "_body", None)
        body: bytes | AsyncIterator[bytes] | None
        if cached is not None:
            body = cached
            lines.append(b"content-length: " + str(len(cached)).encode())
        elif declared is not None and declared.isdigit() and int(declared) > 0:
            body = request.stream()
            lines.append(b"content-length: " + declared.encode())
        else:
            body = None
            if method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
                lines.append(b"content-length: 0")
        rest = b"".join(b"\r\n" + line for line in lines) + b"\r\n\r\n"
        replica, conn, upstream = await self._exchange(
            name,
            (method.encode(), target),
            rest,
            body,
            method=method,
            repeatable=method in IDEMPOTENT_METHODS,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeouts[name],
        )
        return await self._relay(name, replica, conn, upstream, method)

    async def call(
        self,
        name: str,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = 3.0,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        """A small request of the gateway's own over the proxy's pools and the same retry/breaker loop; the
        whole answer (status, body). Carries the current request's id. Raises 503 ``upstream_unavailable``."""
        if _UNSAFE_IN_HEAD.search(target) or any(
            _UNSAFE_IN_HEAD.search(k) or "\r" in v or "\n" in v for k, v in (headers or {}).items()
        ):
            # Never let a value split the request line or a header: that would smuggle a second request onto
            # a shared keep-alive connection.
            raise ValueError(f"unsafe request target or header for {name}: {target!r}")
        lines = [b"accept: application/json"]
        sent = {**outgoing_context_headers(), **(headers or {})}
        for key, value in sent.items():
            lines.append(key.lower().encode() + b": " + value.encode())
        if body is not None:
            if "\r" in content_type or "\n" in content_type:
                raise ValueError(f"unsafe content type for {name}: {content_type!r}")
            lines += [
                b"content-type: " + content_type.encode(),
                b"content-length: " + str(len(body)).encode(),
            ]
        rest = b"".join(b"\r\n" + line for line in lines) + b"\r\n\r\n"
        repeatable = method in IDEMPOTENT_METHODS or any(key.lower() == "idempotency-key" for key in sent)
        replica, conn, upstream = await self._exchange(
            name,
            (method.encode(), target.encode()),
            rest,
            body,
            method=method,
            repeatable=repeatable,
            connect_timeout=min(self.connect_timeout, timeout_s),
            read_timeout=timeout_s,
        )
        try:
            data = await read_body(conn, upstream, timeout_s)
        except (UpstreamTimeout, UpstreamProtocolError, ConnectionError) as exc:
            conn.close()
            replica.breaker.record_failure()
            raise self.unavailable(name, "响应不完整") from exc
        finally:
            self._done(replica)
        if upstream.reusable:
            replica.pool.release(conn)
        else:
            conn.close()
        return upstream.status, data

    async def _relay(
        self, name: str, replica: Replica, conn: Connection, upstream: UpstreamResponse, method: str
    ) -> Response:
        pool = replica.pool
        headers = [(k, v) for k, v in upstream.headers if k not in REPLACED_OUTBOUND]
        read_timeout = self.read_timeouts[name]
        small = upstream.length is not None and upstream.length <= _SMALL_BODY
        try:
            if small:
                body = await read_body(conn, upstream, read_timeout)
            else:
                # What arrives with the head first: often the whole answer (a small chunked one is then sent
                # with a length), and a body that is malformed from its first chunk is still a clean 503.
                body = await read_some(conn, upstream, read_timeout)
        except (UpstreamTimeout, UpstreamProtocolError, ConnectionError) as exc:
            conn.close()
            self._done(replica)
            raise self.unavailable(name, "响应不完整") from exc
        if upstream.complete:
            self._done(replica)
            if upstream.reusable:
                pool.release(conn)
            else:
                conn.close()
            response = Response(body, status_code=upstream.status)
            length = str(len(body)).encode()
            if method == "HEAD":
                # The length of what a GET would bring (RFC 9110 §9.3.2), not of the empty body.
                length = next((v for k, v in upstream.headers if k == b"content-length"), length)
            response.raw_headers = [*headers, (b"content-length", length)]
            return response

        async def stream() -> AsyncIterator[bytes]:
            complete = False
            try:
                if body:
                    yield body
                async for chunk in iter_body(conn, upstream, read_timeout):
                    yield chunk
                complete = True
            finally:
                self._done(replica)
                if complete and upstream.reusable:
                    pool.release(conn)
                else:
                    conn.close()

        response = StreamingResponse(stream(), status_code=upstream.status)
        response.raw_headers = headers
        return response


async def proxy_endpoint(request: Request) -> Response:
    path = request.scope["path"]
    name = upstream_for(path)
    if name is None:
        raise RouteNotFound(f"没有这个地址：{path}")
    request.scope["kunruyi_route"] = f"/api/v1/{path.split('/')[3]}/*"
    gate = request.app.state.gate
    principal = await gate.admit(request, rule_for(request.method, path))
    # A signed-in company or talent may be forwarded under the identity its own-record check settled on.
    principal = getattr(request.state, "forward_principal", principal)
    upstreams: Upstreams = request.app.state.upstreams
    return await upstreams.forward(request, name, gate.internal_headers(principal))
