"""Metrics: served on a listener of their own (METRICS_PORT), which stops with the app; request counts and
latency under their labels, each label set's children looked up once."""

from __future__ import annotations

import httpx
from kunruyi_common.metrics import HttpMetrics, LabelledChildren, MetricsListener
from kunruyi_launcher.infra import free_port, port_is_open
from prometheus_client import REGISTRY


async def test_the_listener_serves_prometheus_text_and_stops() -> None:
    HttpMetrics("listener-test").observe("GET", "/api/v1/things", 200, 0.01)
    port = free_port()
    listener = MetricsListener("127.0.0.1", port)
    listener.start()
    try:
        async with httpx.AsyncClient() as c:
            resp = await c.get(f"http://127.0.0.1:{port}/metrics")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/plain")
        ours = [
            line
            for line in resp.text.splitlines()
            if line.startswith("kunruyi_http_requests_total{") and 'service="listener-test"' in line
        ]
        assert len(ours) == 1 and 'route="/api/v1/things"' in ours[0] and ours[0].endswith(" 1.0"), ours
    finally:
        await listener.stop()
    assert not port_is_open("127.0.0.1", port)


async def test_a_taken_port_does_not_stop_the_app() -> None:
    port = free_port()
    first, second = MetricsListener("127.0.0.1", port), MetricsListener("127.0.0.1", port)
    first.start()
    try:
        second.start()  # a second worker of the same app: logged, not fatal
        await second.stop()
        assert port_is_open("127.0.0.1", port)
    finally:
        await first.stop()


def test_http_metrics_count_each_status_under_its_own_labels() -> None:
    metrics = HttpMetrics("children-test")
    for status in (200, 200, 404):
        metrics.observe("GET", "/api/v1/things/{id}", status, 0.002)

    def count(status: str) -> float:
        labels = {
            "service": "children-test",
            "method": "GET",
            "route": "/api/v1/things/{id}",
            "status": status,
        }
        return REGISTRY.get_sample_value("kunruyi_http_requests_total", labels) or 0.0

    assert (count("200"), count("404")) == (2.0, 1.0)
    latency = {"service": "children-test", "method": "GET", "route": "/api/v1/things/{id}"}
    assert REGISTRY.get_sample_value("kunruyi_http_request_duration_seconds_count", latency) == 3.0


def test_kept_children_start_over_past_their_bound() -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return f"child {key}"

    children: LabelledChildren[str, str] = LabelledChildren(make, kept=2)
    assert [children.get(k) for k in ("a", "a", "b", "a")] == ["child a", "child a", "child b", "child a"]
    assert made == ["a", "b"]
    children.get("c")  # a third key: the kept ones are dropped, and made again when asked for
    children.get("a")
    assert made == ["a", "b", "c", "a"]
