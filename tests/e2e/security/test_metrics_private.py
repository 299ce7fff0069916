"""Metrics are not public: the gateway's port (the only published one) refuses ``/metrics`` however it is
spelled, while ``/healthz`` and ``/readyz`` stay open; each app serves Prometheus text on a loopback port of its
own (compose exposes that port on the internal network only)."""

from __future__ import annotations

from typing import Any

import httpx


def test_the_public_port_has_no_metrics_and_health_stays_open(driver: Any) -> None:
    for path in (
        "/metrics",
        "/metrics/",
        "/Metrics",
        "/metrics?name[]=kunruyi_http_requests_total",
        "//metrics",
    ):
        # The full URL, so that "//metrics" reaches the gateway as that path (a bare "//metrics" is a URL naming a
        # host "metrics" with the path "/", which is the landing page).
        resp = driver.http.get(driver.url + path)
        assert resp.url.raw_path.startswith(path.split("?")[0].encode()), resp.url
        assert resp.status_code in (401, 403, 404), (path, resp.status_code)
        assert "kunruyi_http_requests_total" not in resp.text, path
        assert "# TYPE" not in resp.text, path
    assert driver.http.get("/healthz").status_code == 200
    ready = driver.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text


def test_each_app_serves_prometheus_text_on_its_internal_port(driver: Any) -> None:
    driver.http.get("/healthz")
    for name, app in driver.platform.apps.items():
        assert app.metrics_url is not None, name
        assert str(app.port) not in app.metrics_url, name
        resp = httpx.get(app.metrics_url, timeout=10)
        assert resp.status_code == 200, (name, resp.status_code)
        assert resp.headers["content-type"].startswith("text/plain"), name
        assert f'service="{name}"' in resp.text and "# TYPE kunruyi_http_requests_total counter" in resp.text
        # …and not on the app's own port either.
        assert httpx.get(f"{app.url}/metrics", timeout=10).status_code == 404, name
