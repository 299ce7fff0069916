from kunruyi_launcher.testing import staff
from prometheus_client import generate_latest


async def test_health_metrics_and_openapi(client, app) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok", "service": "talent"}
        # Metrics are served on a port of their own (METRICS_PORT), never on the app's.
        assert (await c.get("/metrics")).status_code == 404
        assert "kunruyi_http_requests_total" in generate_latest().decode()
        spec = (await c.get("/openapi.json")).json()
    assert {
        "/api/v1/enterprises/{uscc}",
        "/api/v1/tickets",
        "/api/v1/housing/projects",
        "/api/v1/imports/talents",
    } <= set(spec["paths"])
