"""The upstream replicas as metrics: how many of each service's replicas are in rotation or ejected (a replica
that failed a connect or its readiness check), and each ejection."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

UPSTREAM_REPLICAS = Gauge(
    "kunruyi_gateway_upstream_replicas",
    "Replicas of each upstream service the gateway knows, by state (in_rotation, ejected)",
    ["upstream", "state"],
)
UPSTREAM_EJECTIONS = Counter(
    "kunruyi_gateway_upstream_ejections_total",
    "Replicas taken out of rotation after a failed connect or readiness check, per upstream",
    ["upstream"],
)
