"""Metrics are served on a listener of their own (METRICS_PORT), which stops with the app."""

from __future__ import annotations

import httpx
from kunruyi_common.metrics import HttpMetrics, MetricsListener
from kunruyi_launcher.infra import free_port, port_is_open


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
