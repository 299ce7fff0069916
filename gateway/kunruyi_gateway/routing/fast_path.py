"""The proxied routes' own way in: a plain ASGI app put in front of FastAPI's middleware stack and router.

A request for ``/api/v1/<area>/…`` of an area a service owns (``routing/table.py``), with a method the proxy
takes, is handled here from start to end; everything else goes on to FastAPI. It does what the platform's stack
does for such a request and nothing more, in the same order and with the same results:

- the request id and traceparent (taken from the request or made), set for the request's context, answered in
  ``X-Request-Id`` — :func:`kunruyi_common.middleware.incoming_request_ids`;
- the gate (who calls, may they, their rate), then the upstream call (``routing/proxy.py``: ``proxy_endpoint``);
- a refusal or an error answered by the app's own exception handlers (the same problem+json, the same codes);
- the route metrics (``kunruyi_http_requests_total`` / ``…_duration_seconds``, route ``/api/v1/{rest:path}`` as
  before), the partner-call metrics, and the access line.

What it skips is what a proxied call never needed: about ten middleware layers each wrapping ``send``, the scan of
the route table, FastAPI's exception-group and exit-stack plumbing, and a second ``Request``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from kunruyi_common.logging import reset_request_context, set_request_context
from kunruyi_common.metrics import HttpMetrics
from kunruyi_common.middleware import incoming_request_ids, log_access
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kunruyi_gateway.partners.metrics import record_partner_call
from kunruyi_gateway.routing.proxy import proxy_endpoint
from kunruyi_gateway.routing.table import upstream_for

# The route template the proxied calls have always been counted under (the catch-all route's path).
PROXY_ROUTE = "/api/v1/{rest:path}"
PROXY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHODS = frozenset(PROXY_METHODS)

ExceptionHandler = Callable[[Request, Exception], Any]


def _handler_for(handlers: Mapping[Any, ExceptionHandler], exc: Exception) -> ExceptionHandler | None:
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return handler
    return None


class ProxyFastPath:
    def __init__(self, app: FastAPI, service: str, inner: ASGIApp) -> None:
        self.app = app
        self.inner = inner
        self.metrics = HttpMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS or upstream_for(scope["path"]) is None:
            await self.inner(scope, receive, send)
            return
        rid, traceparent = incoming_request_ids(scope)
        token = set_request_context(rid, traceparent)
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        started = time.perf_counter()
        try:
            request = Request(scope, receive)
            try:
                response = await proxy_endpoint(request)
            except Exception as exc:
                response = await self._refusal(request, exc)
            status = response.status_code
            response.raw_headers.append((b"x-request-id", rid.encode()))
            await response(scope, receive, send)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"]
            self.metrics.observe(method, PROXY_ROUTE, status, elapsed)
            record_partner_call(scope, status, elapsed)
            log_access(rid, method, scope["path"], PROXY_ROUTE, status, elapsed)
            reset_request_context(token)

    async def _refusal(self, request: Request, exc: Exception) -> Response:
        """The app's own handler for ``exc`` (problem+json); what has none goes on up, as it would have."""
        handler = _handler_for(self.app.exception_handlers, exc)
        if handler is None:
            raise exc
        answer = handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        response: Response = answer
        return response
