"""The platform skeleton as an operator and a caller meet it: real processes, real HTTP through the gateway."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kunruyi_launcher.apps import APPS, GATEWAY
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, RunningApp, app_env, migrate_all

RUNNING = ["policy", "talent", "gateway"]  # disbursement and matching stay down on purpose


@pytest.fixture(scope="module")
def partial_platform(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, RunningApp]]:
    migrate_all(infra, [a for a in APPS if a.name in RUNNING], recreate=True)
    log_dir = tmp_path_factory.mktemp("platform-logs")
    ports = {a.name: free_port() for a in APPS} | {a.metrics_key: free_port() for a in APPS}
    apps: dict[str, RunningApp] = {}
    for spec in APPS:
        if spec.name not in RUNNING:
            continue
        running = RunningApp(
            spec, ports[spec.name], app_env(spec, infra, ports, log_dir), log_dir / f"{spec.name}.log"
        )
        running.start()
        apps[spec.name] = running
    try:
        for name in ("policy", "talent"):
            apps[name].wait_ready(60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{apps['gateway'].url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.1)
        yield apps
    finally:
        for running in apps.values():
            running.stop()


def admin_headers() -> dict[str, str]:
    """A staff admin token from the development issuer the gateway trusts in local runs."""
    from kunruyi_gateway.settings import Settings
    from kunruyi_gateway.staff.tokens import GatewayIssuer

    settings = Settings()
    token = GatewayIssuer.for_settings(settings).mint(
        issuer=settings.dev_issuer,
        audience=settings.oidc_audience,
        subject="platform-test",
        ttl_s=600,
        name="平台测试",
        roles=["admin"],
        department="科创发展服务中心",
    )
    return {"Authorization": f"Bearer {token}"}


def log_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("{")
    ]


def test_each_service_answers_health_ready_and_metrics(partial_platform: dict[str, RunningApp]) -> None:
    for name in ("policy", "talent"):
        base = partial_platform[name].url
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["checks"] == {"database": "ok", "nats": "ok"}
        # Metrics on the app's own metrics port, not on its API port.
        metrics_url = partial_platform[name].metrics_url
        assert metrics_url is not None
        assert "kunruyi_http_requests_total" in httpx.get(metrics_url).text
        assert httpx.get(f"{base}/metrics").status_code == 404
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"]


def test_gateway_routes_to_the_owning_service_and_the_request_id_follows(
    partial_platform: dict[str, RunningApp],
) -> None:
    gateway = partial_platform["gateway"]
    rid = f"test-{uuid.uuid4().hex}"
    resp = httpx.get(f"{gateway.url}/api/v1/policy-variables", headers={"X-Request-Id": rid})
    assert resp.headers["x-request-id"] == rid
    assert resp.status_code != 503
    assert resp.json().get("code") != "route_not_found"
    deadline = time.monotonic() + 5
    while True:
        lines = [
            line for line in log_lines(partial_platform["policy"].log_path) if line.get("request_id") == rid
        ]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert any(line.get("path") == "/api/v1/policy-variables" for line in lines), (
        "the service logged the same request id"
    )
    while not any(line.get("request_id") == rid for line in log_lines(gateway.log_path)):
        # The gateway's access line is written once the response has gone out.
        assert time.monotonic() < deadline + 5, "the gateway logged the same request id"
        time.sleep(0.1)


def test_anonymous_callers_are_refused_with_a_problem(partial_platform: dict[str, RunningApp]) -> None:
    resp = httpx.get(f"{partial_platform['gateway'].url}/api/v1/enterprises")
    assert resp.status_code == 401
    assert resp.json()["code"] == "missing_credentials"


def test_unknown_routes_get_a_problem_404(partial_platform: dict[str, RunningApp]) -> None:
    resp = httpx.get(f"{partial_platform['gateway'].url}/api/v1/no-such-area/1", headers=admin_headers())
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "route_not_found"
    assert resp.json()["request_id"] == resp.headers["x-request-id"]


def test_a_service_that_is_down_gives_503_fast_and_readiness_says_which(
    partial_platform: dict[str, RunningApp],
) -> None:
    gateway = partial_platform["gateway"].url
    resp = httpx.get(f"{gateway}/api/v1/demands", timeout=10, headers=admin_headers())
    assert resp.status_code == 503
    body = resp.json()
    assert body["code"] == "upstream_unavailable" and body["upstream"] == "matching"
    assert resp.headers["retry-after"]
    ready = httpx.get(f"{gateway}/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["upstream:policy"] == "ok"
    assert checks["upstream:matching"].startswith("unreachable")
    assert checks["upstream:disbursement"].startswith("unreachable")


def test_gateway_docs_aggregate_every_running_service(partial_platform: dict[str, RunningApp]) -> None:
    spec = httpx.get(f"{partial_platform['gateway'].url}/openapi.json").json()
    assert set(spec["info"].get("x-unavailable-services", [])) == {"disbursement", "matching"}
    assert httpx.get(f"{partial_platform['gateway'].url}/docs").status_code == 200


def test_the_launcher_list_matches_the_gateway_upstreams() -> None:
    from kunruyi_gateway.routing.table import ROUTE_TABLE

    assert set(ROUTE_TABLE.values()) == {a.name for a in APPS if a is not GATEWAY}
