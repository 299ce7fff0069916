from kunruyi_launcher.testing import staff


async def test_health_endpoints_answer(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok", "service": "policy"}
        metrics = await c.get("/metrics")
        assert metrics.status_code == 200
        assert "kunruyi_http_requests_total" in metrics.text
