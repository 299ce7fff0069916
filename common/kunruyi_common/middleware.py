"""ASGI middleware: request id in and out, one JSON access line per request, Prometheus metrics.

Written as plain ASGI (not BaseHTTPMiddleware) so streaming bodies pass through untouched and the overhead
stays small on the gateway's hot path: one pass over the headers, metric children looked up once per
label set, and the access record handed straight to the logger's handlers (no caller-frame lookup).
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kunruyi_common import logging as kit_logging
from kunruyi_common.logging import (
    ACCESS_LOGGER,
    new_request_id,
    new_traceparent,
    reset_request_context,
    set_request_context,
)
from kunruyi_common.metrics import HttpMetrics

access_logger = logging.getLogger(ACCESS_LOGGER)
_VALID_RID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz"})
_INFO = logging.INFO


def incoming_request_ids(scope: Scope) -> tuple[str, str]:
    """The request id and traceparent a request carries (a new id when it has none or an unusable one)."""
    raw_rid = raw_traceparent = b""
    for name, value in scope.get("headers") or ():
        # Last one wins, as with dict(headers).
        if name == b"x-request-id":
            raw_rid = value
        elif name == b"traceparent":
            raw_traceparent = value
    rid = raw_rid.decode("latin-1")
    if not _VALID_RID.match(rid):
        rid = new_request_id()
    return rid, raw_traceparent.decode("latin-1") or new_traceparent()


def log_access(rid: str, method: str, path: str, template: str, status: int, elapsed: float) -> None:
    """The request's one access line (not for the health probes)."""
    if path in _QUIET_PATHS or not access_logger.isEnabledFor(_INFO):
        return
    duration_ms = round(elapsed * 1000, 2)
    sink = kit_logging.access_sink
    if sink is not None and sink.write(access_logger, rid, method, path, template, status, duration_ms):
        return
    # What access_logger.info("%s %s %s", ...) does, minus the stack walk for the caller's file and line (not
    # part of our JSON lines).
    access_logger.handle(
        access_logger.makeRecord(
            access_logger.name,
            _INFO,
            __file__,
            0,
            "%s %s %s",
            (method, path, status),
            None,
            extra={
                "request_id": rid,
                "method": method,
                "path": path,
                "route": template,
                "status": status,
                "duration_ms": duration_ms,
                "_kunruyi_access": True,
            },
        )
    )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.metrics = HttpMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid, traceparent = incoming_request_ids(scope)
        token = set_request_context(rid, traceparent)
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or scope.get("kunruyi_route") or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.observe(method, template, status, elapsed)
            log_access(rid, method, scope.get("path", ""), template, status, elapsed)
            reset_request_context(token)
