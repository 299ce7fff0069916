"""Prometheus metrics: HTTP request counts and latency by route template and status."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

HTTP_REQUESTS = Counter(
    "kunruyi_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "kunruyi_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("kunruyi_outbox_published_total", "Outbox events published", ["service"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "kunruyi_outbox_publish_failures_total", "Outbox publish attempts that failed", ["service"]
)
EVENTS_CONSUMED = Counter(
    "kunruyi_events_consumed_total", "Events handled by consumers", ["service", "consumer", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "kunruyi_events_dead_lettered_total",
    "Events sent to the dead-letter stream after max_deliver",
    ["service", "consumer"],
)
EVENTS_WAITING_ON_OUTAGE = Gauge(
    "kunruyi_events_waiting_on_outage",
    "Consumers holding events while a dependency (database, bus, upstream) is unavailable",
    ["service", "consumer"],
)


class HttpMetrics:
    """Counts and times one service's requests. ``labels()`` costs a lock and a tuple per call; the children
    are looked up once per (method, route, status) and kept (the label sets are bounded: route templates)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                HTTP_LATENCY.labels(self.service, method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
