"""The reverse proxy: one pooled async HTTP client, streamed bodies, hop-by-hop headers stripped,
per-upstream timeouts and a circuit breaker so a dead or slow service answers 503 fast instead of hanging."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx
from kunruyi_common.errors import NotFound, ProblemError, ServiceUnavailable
from kunruyi_common.logging import current_request_id, current_traceparent
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kunruyi_gateway.access.rules import rule_for
from kunruyi_gateway.routing.table import upstream_for

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
    }
)
# Callers never get to speak for the gateway: these are set by the gateway alone.
STRIPPED_INBOUND = frozenset({b"x-kry-principal", b"x-request-id", b"traceparent"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SMALL_BODY = 256 * 1024


@dataclass
class CircuitBreaker:
    threshold: int
    cooldown_s: float
    failures: int = 0
    open_until: float = 0.0

    def allow(self) -> bool:
        return time.monotonic() >= self.open_until

    def record_success(self) -> None:
        self.failures = 0

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = time.monotonic() + self.cooldown_s
            self.failures = 0


class Upstreams:
    def __init__(
        self,
        urls: dict[str, str],
        *,
        connect_timeout: float,
        read_timeout: float,
        breaker_threshold: int,
        breaker_cooldown_s: float,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout)
        self.client = httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30),
            follow_redirects=False,
        )
        self.breakers = {name: CircuitBreaker(breaker_threshold, breaker_cooldown_s) for name in urls}

    async def close(self) -> None:
        await self.client.aclose()

    def unavailable(self, name: str, reason: str) -> ProblemError:
        return ServiceUnavailable(
            f"上游服务 {name} 暂不可用：{reason}",
            code="upstream_unavailable",
            title="上游服务暂不可用",
            headers={"Retry-After": "5"},
            upstream=name,
        )

    async def forward(
        self, request: Request, name: str, extra_headers: dict[str, str] | None = None
    ) -> Response:
        base = self.urls[name]
        breaker = self.breakers[name]
        if not breaker.allow():
            raise self.unavailable(name, "熔断中")
        headers = [
            (k, v) for k, v in request.headers.raw if k not in HOP_BY_HOP and k not in STRIPPED_INBOUND
        ]
        rid = current_request_id()
        if rid:
            headers.append((b"x-request-id", rid.encode()))
        tp = current_traceparent()
        if tp:
            headers.append((b"traceparent", tp.encode()))
        for k, v in (extra_headers or {}).items():
            headers.append((k.lower().encode(), v.encode()))
        method = request.method
        has_body = method not in ("GET", "HEAD", "OPTIONS", "DELETE") or request.headers.get("content-length")
        url = httpx.URL(base + request.url.path, query=request.url.query.encode("latin-1"))
        attempts = 2 if method in IDEMPOTENT_METHODS and not has_body else 1
        for attempt in range(attempts):
            upstream_request = self.client.build_request(
                method, url, headers=headers, content=request.stream() if has_body else None
            )
            try:
                upstream = await self.client.send(upstream_request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                breaker.record_failure()
                if attempt + 1 < attempts:
                    continue
                raise self.unavailable(name, "无法连接") from exc
            except httpx.TimeoutException as exc:
                breaker.record_failure()
                raise self.unavailable(name, "响应超时") from exc
            except httpx.TransportError as exc:
                breaker.record_failure()
                raise self.unavailable(name, type(exc).__name__) from exc
            breaker.record_success()
            return await self._relay(upstream)
        raise self.unavailable(name, "无法连接")  # pragma: no cover - the loop always returns or raises

    async def _relay(self, upstream: httpx.Response) -> Response:
        headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower().encode() not in HOP_BY_HOP and k.lower() != "x-request-id"
        }
        length = upstream.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) <= _SMALL_BODY:
            try:
                body = await upstream.aread()
            finally:
                await upstream.aclose()
            return Response(body, status_code=upstream.status_code, headers=headers)
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=headers,
            background=BackgroundTask(upstream.aclose),
        )


async def proxy_endpoint(request: Request) -> Response:
    name = upstream_for(request.url.path)
    if name is None:
        raise NotFound(f"没有这个地址：{request.url.path}", code="route_not_found")
    request.scope["kunruyi_route"] = f"/api/v1/{request.url.path.split('/')[3]}/*"
    gate = request.app.state.gate
    principal = await gate.admit(request, rule_for(request.method, request.url.path))
    upstreams: Upstreams = request.app.state.upstreams
    return await upstreams.forward(request, name, gate.internal_headers(principal))
