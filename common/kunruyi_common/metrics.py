"""Prometheus metrics: HTTP request counts and latency by route template and status.

They are served on a listener of their own (``METRICS_PORT``, on ``METRICS_HOST``), never on the app's port: the
gateway's port is public, and route, scan and delivery counts are not for the public. Health stays on the app's
port (``/healthz``, ``/readyz``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

K = TypeVar("K")
V = TypeVar("V")

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
EVENTS_REJECTED = Counter(
    "kunruyi_events_rejected_total",
    "Events a consumer refused at once (payload not its model, a value its vocabulary cannot map) and dead-lettered",
    ["service", "consumer", "reason"],
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

PERIODIC_TICKS = Counter(
    "kunruyi_periodic_ticks_total",
    "Ticks of periodic jobs: ran, skipped (another replica held the job's lock, or it ran within its interval) "
    "or failed",
    ["service", "job", "outcome"],
)
PERIODIC_SKIPS = Counter(
    "kunruyi_periodic_skips_total",
    "Skipped ticks of exclusive periodic jobs by reason: held (another replica was running it) or not_due (it ran, "
    "on some replica, less than its interval ago)",
    ["service", "job", "reason"],
)


class LabelledChildren(Generic[K, V]):
    """Metric children by key, each made once: ``labels()`` costs a lock and a tuple per call, too much on a hot
    path. For keys that stay few (route templates, a partner's app keys); past ``kept`` of them it starts over."""

    def __init__(self, make: Callable[[K], V], kept: int = 4096) -> None:
        self._make = make
        self._kept = kept
        self._children: dict[K, V] = {}

    def get(self, key: K) -> V:
        child = self._children.get(key)
        if child is None:
            if len(self._children) >= self._kept:
                self._children.clear()
            child = self._children[key] = self._make(key)
        return child


class HttpMetrics:
    """Counts and times one service's requests, the children looked up once per (method, route, status)."""

    def __init__(self, service: str) -> None:
        self._children: LabelledChildren[tuple[str, str, int], tuple[Any, Any]] = LabelledChildren(
            lambda key: (
                HTTP_REQUESTS.labels(service, key[0], key[1], str(key[2])),
                HTTP_LATENCY.labels(service, key[0], key[1]),
            )
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        requests, latency = self._children.get((method, route, status))
        requests.inc()
        latency.observe(seconds)


logger = logging.getLogger("kunruyi.metrics")


class MetricsListener:
    """Prometheus text on ``http://{host}:{port}/metrics`` (any path answers), served by prometheus_client's own
    small threaded server beside the app, for the app's whole life."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: Any = None

    def start(self) -> None:
        try:
            self._server, _ = start_http_server(self.port, addr=self.host, registry=REGISTRY)
        except OSError as exc:
            # Another worker process of the same app already serves it (uvicorn --workers), or the port is taken:
            # the app itself still runs; the metrics of this process are not scraped.
            logger.warning("metrics listener on %s:%s not started: %s", self.host, self.port, exc)
            return
        logger.info("metrics on http://%s:%s/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.shutdown)
            server.server_close()
