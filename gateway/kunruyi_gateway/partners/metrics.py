"""Partner calls as metrics: each verified partner call by app key and status (the partner-call objective,
docs/slo.md, and the 429s per key), its latency, and errors of the nonce store (partners' replay protection).

The middleware reads what the gate left on the request (``request.state.partner``, set once the signature
verified), so unsigned or badly signed calls are not partner calls here; they show as 401s on the route metrics.
"""

from __future__ import annotations

import time
from typing import Any

from kunruyi_common.metrics import LabelledChildren
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PARTNER_REQUESTS = Counter(
    "kunruyi_gateway_partner_requests_total",
    "Verified partner calls by app key and HTTP status (429 = over the key's rate)",
    ["app_key", "status"],
)
PARTNER_LATENCY = Histogram(
    "kunruyi_gateway_partner_request_duration_seconds",
    "Verified partner calls' latency at the gateway, from the request to the end of the response",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10),
)
NONCE_CLAIM_BATCH = Histogram(
    "kunruyi_gateway_nonce_claim_batch_size",
    "Partner nonces claimed in one PostgreSQL statement (claims that arrive together go in one batch)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
NONCE_STORE_ERRORS = Counter(
    "kunruyi_gateway_nonce_store_errors_total",
    "Errors of the partner nonce store (PostgreSQL): claiming a nonce on a call, or the periodic sweep",
    ["operation"],
)


class PartnerMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            record_partner_call(scope, status, time.perf_counter() - started)


# The counter's child per (app key, status): a partner's few app keys.
_REQUEST_COUNTERS: LabelledChildren[tuple[str, int], Any] = LabelledChildren(
    lambda key: PARTNER_REQUESTS.labels(key[0], str(key[1]))
)


def record_partner_call(scope: Scope, status: int, seconds: float) -> None:
    """Count and time the call when the gate verified a partner's signature on it (``scope["state"]["partner"]``)."""
    partner = (scope.get("state") or {}).get("partner")
    if partner is not None:
        _REQUEST_COUNTERS.get((partner.app_key, status)).inc()
        PARTNER_LATENCY.observe(seconds)
