"""gateway — the platform's only public entry."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, cast

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app
from kunruyi_common.errors import ProblemError
from kunruyi_common.periodic import start_periodic
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kunruyi_gateway.access.gate import Gate
from kunruyi_gateway.access.limiter import RateLimiter
from kunruyi_gateway.api_docs.describe import aggregate
from kunruyi_gateway.api_docs.pages import ASSETS, static_assets
from kunruyi_gateway.api_docs.pages import router as api_docs_router
from kunruyi_gateway.code_batches.endpoints import router as code_batches_router
from kunruyi_gateway.console.endpoints import install_console
from kunruyi_gateway.console.endpoints import public_router as public_notice_router
from kunruyi_gateway.console.endpoints import router as console_router
from kunruyi_gateway.integrations.sushangtong.endpoints import router as sushangtong_router
from kunruyi_gateway.integrations.yiqilaiban.client import YiqilaibanClient
from kunruyi_gateway.integrations.yiqilaiban.consumers import (
    POLICY_HANDLERS,
    POLICY_SCHEMAS,
    STATUS_HANDLERS,
    STATUS_SCHEMAS,
)
from kunruyi_gateway.integrations.yiqilaiban.endpoints import router as yiqilaiban_router
from kunruyi_gateway.integrations.yiqilaiban.sender import DeliverySender
from kunruyi_gateway.jobs.worker import start_job_worker
from kunruyi_gateway.partners.endpoints import router as app_keys_router
from kunruyi_gateway.partners.metrics import NONCE_STORE_ERRORS, PartnerMetricsMiddleware
from kunruyi_gateway.partners.verifier import PartnerVerifier
from kunruyi_gateway.routing.fast_path import PROXY_METHODS, ProxyFastPath
from kunruyi_gateway.routing.proxy import Upstreams, proxy_endpoint
from kunruyi_gateway.routing.table import upstream_for
from kunruyi_gateway.self_service.activities import router as activity_pages
from kunruyi_gateway.self_service.pages import router as self_pages
from kunruyi_gateway.self_service.signin import api_router as identity_router
from kunruyi_gateway.self_service.signin import logout_router as self_logout
from kunruyi_gateway.self_service.signin import router as self_signin
from kunruyi_gateway.service_codes.endpoints import router as service_codes_router
from kunruyi_gateway.service_codes.page_cache import PageCache
from kunruyi_gateway.service_codes.pages import router as service_code_pages
from kunruyi_gateway.service_codes.scans import ScanRecorder
from kunruyi_gateway.settings import Settings, get_settings
from kunruyi_gateway.staff.endpoints import router as staff_router
from kunruyi_gateway.staff.revocation import TokenRevocations
from kunruyi_gateway.staff.tokens import GatewayIssuer, StaffTokenVerifier
from kunruyi_gateway.web.setup import install_web, start_session_sweep

logger = logging.getLogger("kunruyi.gateway")

SERVICE_NAME = "gateway"


async def _start_upstreams(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    app.state.upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=settings.upstream_connect_timeout_s,
        read_timeout=settings.upstream_read_timeout_s,
        read_timeouts=settings.upstream_read_timeouts_s,
        breaker_threshold=settings.breaker_failure_threshold,
        breaker_cooldown_s=settings.breaker_cooldown_s,
        eject_s=settings.upstream_eject_s,
        health_interval_s=settings.upstream_health_interval_s,
        dns_refresh_s=settings.upstream_dns_refresh_s,
        ca_bundle=str(settings.upstream_ca_bundle) if settings.upstream_ca_bundle else None,
    )


async def _start_gate(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    partners = PartnerVerifier(
        app.state.engine,
        settings.field_cipher(),
        window_s=settings.signature_window_s,
        nonce_ttl_s=settings.nonce_ttl_s,
        cache_ttl_s=settings.app_key_cache_ttl_s,
    )
    app.state.token_revocations = TokenRevocations(app.state.sessionmaker)
    # made at start-up, after the settings check (a module-level app is created on import in any mode)
    app.state.gateway_issuer = GatewayIssuer.for_settings(settings)
    staff = StaffTokenVerifier(
        issuer=app.state.gateway_issuer,
        audience=settings.oidc_audience,
        oidc_issuer=settings.oidc_issuer,
        jwks_url=settings.jwks_url,
        jwks_inline=settings.jwks_inline,
        dev_mode=settings.dev_mode,
        dev_issuer=settings.dev_issuer,
        cache_ttl_s=settings.jwks_cache_ttl_s,
        http=app.state.upstreams.client,
        is_revoked=app.state.token_revocations.is_revoked,
    )
    app.state.gate = Gate(settings, partners, staff, RateLimiter(settings.rate_limit_storage_uri))

    async def sweep_nonces(_session: AsyncSession) -> int:
        # Expired nonces and rate windows; the next sweep retries a failed one, and expired rows never block.
        try:
            # and session tokens signed out that have expired since
            revocations: TokenRevocations = app.state.token_revocations
            return await partners.purge_expired_nonces() + await revocations.purge_expired()
        except Exception:
            NONCE_STORE_ERRORS.labels("sweep").inc()
            raise

    start_periodic(app, job="nonce-sweep", tick=sweep_nonces, interval_s=60)
    app.state.yiqilaiban = YiqilaibanClient(settings, app.state.upstreams.client)
    app.state.delivery_sender = DeliverySender(
        app.state.sessionmaker,
        app.state.yiqilaiban,
        base_backoff_s=settings.delivery_base_backoff_s,
        max_backoff_s=settings.delivery_max_backoff_s,
        timeout_s=settings.delivery_timeout_s,
    )
    # On every replica: due rows are shared with FOR UPDATE SKIP LOCKED, so no row is sent twice at once.
    start_periodic(
        app,
        job="portal-deliveries",
        tick=app.state.delivery_sender.send_tick,
        interval_s=settings.delivery_poll_interval_s,
        exclusive=False,
        first_delay_s=0,
        again_when_busy=True,
    )


async def _start_service_code_pages(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    app.state.qr_page_cache = PageCache(settings.qr_page_cache_ttl_s)
    app.state.scan_recorder = ScanRecorder(app.state.sessionmaker, app.state.after_commit)


async def _stop_service_code_pages(app: FastAPI) -> None:
    await app.state.scan_recorder.close()


async def _stop_upstreams(app: FastAPI) -> None:
    # A stopped consumer leaves its pull subscription open, and NATS drain() then waits its full 30 s timeout
    # for it. Stop the consumers and close the connection here so shutdown is prompt (nothing is lost: unacked
    # messages are redelivered, outbox rows wait for the next start).
    consumers = getattr(app.state, "consumers", [])
    for consumer in consumers:
        await consumer.stop()
    bus = getattr(app.state, "bus", None)
    if consumers and bus is not None and bus.nc is not None and not bus.nc.is_closed:
        await app.state.relay.stop()
        await bus.nc.close()
    await app.state.upstreams.close()
    await app.state.gate.partners.close()


async def _upstream_readiness(app: FastAPI) -> dict[str, str]:
    upstreams: Upstreams = app.state.upstreams

    async def probe(name: str) -> tuple[str, str]:
        try:
            status, _ = await upstreams.call(name, "GET", "/readyz", timeout_s=2.0)
        except ProblemError as exc:
            return f"upstream:{name}", f"unreachable: {exc.detail}"
        return f"upstream:{name}", "ok" if status == 200 else f"not ready ({status})"

    results = await asyncio.gather(*(probe(n) for n in upstreams.urls))
    return dict(results)


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="昆如意 Kunruyi API",
        description="昆如意 科创人才企业服务平台 — 网关。所有服务的公开接口都经由此处。",
        package="kunruyi_gateway",
        routers=[
            api_docs_router,
            staff_router,
            app_keys_router,
            code_batches_router,  # before service_codes_router: /batches is not a code's id
            service_codes_router,
            service_code_pages,
            yiqilaiban_router,
            sushangtong_router,
            console_router,
            public_notice_router,
            identity_router,
            self_signin,
            self_logout,
            self_pages,
            activity_pages,
        ],
        consumers=[
            ConsumerSpec(
                name="yiqilaiban-status",
                producer="disbursement",
                handlers=STATUS_HANDLERS,
                schemas=STATUS_SCHEMAS,
            ),
            ConsumerSpec(
                name="yiqilaiban-policies",
                producer="policy",
                handlers=POLICY_HANDLERS,
                schemas=POLICY_SCHEMAS,
            ),
        ],
        on_startup=[
            _start_upstreams,
            _start_gate,
            _start_service_code_pages,
            start_session_sweep,
            start_job_worker,
        ],
        on_shutdown=[_stop_service_code_pages, _stop_upstreams],
        readiness_checks=[_upstream_readiness],
    )


def _install_aggregated_openapi(app: FastAPI) -> None:
    """``/openapi.json`` (and so ``/docs``) lists every service's public paths next to the gateway's own."""
    cache: dict[str, Any] = {"at": 0.0, "spec": None}
    own_openapi = app.openapi

    async def aggregated() -> dict[str, Any]:
        if cache["spec"] is not None and time.monotonic() - cache["at"] < 10:
            return dict(cache["spec"])
        upstreams: Upstreams = app.state.upstreams

        async def fetch(name: str) -> tuple[str, dict[str, Any] | None]:
            try:
                status, raw = await upstreams.call(name, "GET", "/openapi.json", timeout_s=3.0)
                return name, json.loads(raw) if status == 200 else None
            except (ProblemError, ValueError):
                return name, None

        fetched = dict(await asyncio.gather(*(fetch(n) for n in upstreams.urls)))
        spec = aggregate(own_openapi(), fetched)
        cache.update(at=time.monotonic(), spec=spec)
        return spec

    # Replace FastAPI's own /openapi.json route with the aggregated one.
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) != "/openapi.json"]

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(await aggregated())


class GatewayApp(FastAPI):
    """The gateway's app: the proxied routes' fast path (``routing/fast_path.py``) in front of FastAPI's
    middleware stack, and CORS, when configured, in front of both."""

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = ProxyFastPath(self, SERVICE_NAME, super().build_middleware_stack())
        settings: Settings = self.state.settings
        if settings.cors_origins:
            app = CORSMiddleware(
                app,
                allow_origins=settings.cors_origins,
                allow_methods=list(PROXY_METHODS),
                allow_headers=["*"],
                expose_headers=["x-request-id", "retry-after"],
                max_age=600,
            )
        if settings.trusted_proxies:
            # Outermost: everything after it (the per-address rate limits, the Secure flag of cookies) sees
            # the caller's address and scheme as the trusted proxy reported them.
            # (uvicorn types the ASGI callables more narrowly than Starlette; both are plain ASGI.)
            app = cast(
                ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=settings.trusted_proxies)
            )
        return app


class _ServiceAreaRoute(Route):
    """The proxy, tried before every other route but only for /api/v1/<area> paths a service owns (none of the
    gateway's own routes live under those areas), so a proxied call skips the scan of ~30 routes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or upstream_for(scope["path"]) is None:
            return Match.NONE, {}
        return super().matches(scope)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(build_spec(), settings, app_class=GatewayApp)
    app.add_middleware(PartnerMetricsMiddleware)
    _install_aggregated_openapi(app)
    app.mount(ASSETS, static_assets(), name="docs-assets")
    install_web(app)
    install_console(app)
    app.router.routes.insert(
        0,
        _ServiceAreaRoute(
            "/api/v1/{rest:path}", proxy_endpoint, methods=list(PROXY_METHODS), include_in_schema=False
        ),
    )
    # Unknown areas still end here (a problem+json 404), after the gateway's own routes.
    app.add_route("/api/v1/{rest:path}", proxy_endpoint, methods=list(PROXY_METHODS), include_in_schema=False)
    return app


app = create_app()
