"""gateway — the platform's only public entry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app

from kunruyi_gateway.routing.proxy import Upstreams, proxy_endpoint
from kunruyi_gateway.settings import Settings, get_settings

SERVICE_NAME = "gateway"
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _start_upstreams(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    app.state.upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=settings.upstream_connect_timeout_s,
        read_timeout=settings.upstream_read_timeout_s,
        breaker_threshold=settings.breaker_failure_threshold,
        breaker_cooldown_s=settings.breaker_cooldown_s,
    )


async def _stop_upstreams(app: FastAPI) -> None:
    await app.state.upstreams.close()


async def _upstream_readiness(app: FastAPI) -> dict[str, str]:
    upstreams: Upstreams = app.state.upstreams

    async def probe(name: str, base: str) -> tuple[str, str]:
        try:
            resp = await upstreams.client.get(f"{base}/readyz", timeout=2.0)
        except httpx.HTTPError as exc:
            return f"upstream:{name}", f"unreachable: {type(exc).__name__}"
        return f"upstream:{name}", "ok" if resp.status_code == 200 else f"not ready ({resp.status_code})"

    results = await asyncio.gather(*(probe(n, b) for n, b in upstreams.urls.items()))
    return dict(results)


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="昆如意 Kunruyi API",
        description="昆如意 科创人才企业服务平台 — 网关。所有服务的公开接口都经由此处。",
        package="kunruyi_gateway",
        on_startup=[_start_upstreams],
        on_shutdown=[_stop_upstreams],
        readiness_checks=[_upstream_readiness],
    )


def _install_aggregated_openapi(app: FastAPI) -> None:
    """``/openapi.json`` (and so ``/docs``) lists every service's public paths next to the gateway's own."""
    cache: dict[str, Any] = {"at": 0.0, "spec": None}
    own_openapi = app.openapi

    async def aggregated() -> dict[str, Any]:
        if cache["spec"] is not None and time.monotonic() - cache["at"] < 10:
            return dict(cache["spec"])
        spec = dict(own_openapi())
        paths = dict(spec.get("paths", {}))
        schemas = dict(spec.get("components", {}).get("schemas", {}))
        upstreams: Upstreams = app.state.upstreams

        async def fetch(name: str, base: str) -> tuple[str, dict[str, Any] | None]:
            try:
                resp = await upstreams.client.get(f"{base}/openapi.json", timeout=3.0)
                return name, resp.json() if resp.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                return name, None

        unavailable = []
        for name, upstream_spec in await asyncio.gather(*(fetch(n, b) for n, b in upstreams.urls.items())):
            if upstream_spec is None:
                unavailable.append(name)
                continue
            for path, item in upstream_spec.get("paths", {}).items():
                if path.startswith("/api/"):
                    for op in item.values():
                        if isinstance(op, dict):
                            op.setdefault("tags", [name])
                    paths[path] = item
            schemas.update(upstream_spec.get("components", {}).get("schemas", {}))
        spec["paths"] = paths
        spec.setdefault("components", {})["schemas"] = schemas
        if unavailable:
            spec["info"] = {**spec["info"], "x-unavailable-services": unavailable}
        cache.update(at=time.monotonic(), spec=spec)
        return spec

    from fastapi.responses import JSONResponse

    # Replace FastAPI's own /openapi.json route with the aggregated one.
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) != "/openapi.json"]

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(await aggregated())


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(build_spec(), settings or get_settings())
    _install_aggregated_openapi(app)
    app.add_route("/api/v1/{rest:path}", proxy_endpoint, methods=PROXY_METHODS, include_in_schema=False)
    return app


app = create_app()
