"""ASGI middleware: request id in and out, one JSON access line per request, Prometheus metrics.

Written as plain ASGI (not BaseHTTPMiddleware) so streaming bodies pass through untouched and the overhead
stays small on the gateway's hot path.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kunruyi_common.logging import new_request_id, new_traceparent, reset_request_context, set_request_context
from kunruyi_common.metrics import HTTP_LATENCY, HTTP_REQUESTS

access_logger = logging.getLogger("kunruyi.access")
_VALID_RID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_rid = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = raw_rid if _VALID_RID.match(raw_rid) else new_request_id()
        traceparent = headers.get(b"traceparent", b"").decode("latin-1") or new_traceparent()
        token = set_request_context(rid, traceparent)
        scope.setdefault("state", {})["request_id"] = rid
        status_holder: dict[str, Any] = {"status": 500}
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or scope.get("kunruyi_route") or "unmatched"
            method = scope.get("method", "GET")
            status = status_holder["status"]
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
            path = scope.get("path", "")
            if path not in _QUIET_PATHS:
                access_logger.info(
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={
                        "request_id": rid,
                        "method": method,
                        "path": path,
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            reset_request_context(token)
