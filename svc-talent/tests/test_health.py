from kunruyi_launcher.testing import staff


async def test_health_metrics_and_openapi(client, app) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok", "service": "talent"}
        assert "kunruyi_http_requests_total" in (await c.get("/metrics")).text
        spec = (await c.get("/openapi.json")).json()
    assert {
        "/api/v1/enterprises/{uscc}",
        "/api/v1/tickets",
        "/api/v1/housing/projects",
        "/api/v1/imports/talents",
    } <= set(spec["paths"])
