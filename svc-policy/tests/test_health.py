from kunruyi_launcher.testing import staff
from prometheus_client import generate_latest


async def test_health_endpoints_answer(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok", "service": "policy"}
        # Metrics are served on a port of their own (METRICS_PORT), never on the app's.
        assert (await c.get("/metrics")).status_code == 404
    assert "kunruyi_http_requests_total" in generate_latest().decode()
