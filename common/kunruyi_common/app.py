"""The app factory every service uses: logging, errors, metrics (on their own port), health, database, bus,
outbox, consumers."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from pydantic import BaseModel, Field
from sqlalchemy import text

from kunruyi_common import health_checks
from kunruyi_common.context import set_app_settings
from kunruyi_common.db import AfterCommitHooks, create_engine, create_sessionmaker
from kunruyi_common.db.migrations import current_revisions, head_revisions
from kunruyi_common.errors import install_error_handlers
from kunruyi_common.events import EventBus, EventConsumer, OutboxRelay
from kunruyi_common.events.inbox import BatchHandler, Handler
from kunruyi_common.inputs import reject_out_of_range, reject_unstorable
from kunruyi_common.logging import configure_logging
from kunruyi_common.metrics import MetricsListener
from kunruyi_common.middleware import RequestContextMiddleware
from kunruyi_common.openapi import install_problem_openapi
from kunruyi_common.settings import ServiceSettings

logger = logging.getLogger("kunruyi.app")


class Readiness(BaseModel):
    """The ``GET /readyz`` answer when the service is ready (200); not ready is a 503 problem with the same checks."""

    status: str = Field(description="`ready` (200) or `not_ready` (503)", examples=["ready"])
    service: str = Field(description="the service's name", examples=["svc-policy"])
    checks: dict[str, str] = Field(
        description="each check and its result: `ok`, or why not (database, nats, and the service's own checks)",
        examples=[{"database": "ok", "nats": "ok"}],
    )


@dataclass
class ConsumerSpec:
    name: str
    producer: str
    handlers: Mapping[str, Handler]
    # The consumer's own model of each event's data: checked against the producer's schema by the contract tests
    # (every handled type needs one) and applied to every delivery (data that does not fit is dead-lettered).
    schemas: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    # Types applied a fetch at a time in one transaction (each also needs its single handler, for retries).
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    batch_size: int = 50


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    package: str
    routers: Sequence[APIRouter] = ()
    consumers: Sequence[ConsumerSpec] = ()
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    on_shutdown: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    # Extra readiness checks (name → "ok" or a reason), e.g. the gateway's upstreams.
    readiness_checks: Sequence[Callable[[FastAPI], Awaitable[dict[str, str]]]] = ()
    # Checks run periodically beside the kit's (outbox, consumer lag, dead letters) that set gauges for alerts.
    periodic_checks: Sequence[health_checks.PeriodicCheck] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def _fastapi_telemetry() -> TelemetryConfig | None:
    """FastAPI's built-in OpenTelemetry asks the global providers on every request whether anyone configured
    them (≈2.5 µs). The platform's metrics are Prometheus and its trace context is propagated by the kit, so
    that bridge stays off unless OpenTelemetry is configured through the environment (``OTEL_*`` or
    ``FASTAPI_OTEL_AUTO_CONFIGURE``)."""
    if any(name.startswith("OTEL_") or name == "FASTAPI_OTEL_AUTO_CONFIGURE" for name in os.environ):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def create_service_app(
    spec: ServiceSpec, settings: ServiceSettings, app_class: type[FastAPI] = FastAPI
) -> FastAPI:
    """The service's app; ``app_class`` may be a subclass of FastAPI (the gateway's puts its proxy in front)."""
    heads = head_revisions(spec.package)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_level, settings.log_file)
        # However the app is started (the CLI checks first), never serve outside development mode on a
        # development key.
        settings.check_secrets()
        # Consumers, periodic tasks and whatever on_startup starts inherit this context: handlers read the app's
        # settings with kunruyi_common.context.app_settings.
        set_app_settings(settings)
        engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        sessionmaker = create_sessionmaker(engine)
        bus = EventBus(
            settings.nats_url,
            name=f"kunruyi-{spec.name}",
            own_streams=[spec.name],
            stream_replicas=settings.nats_stream_replicas,
        )
        relay = OutboxRelay(
            sessionmaker, bus, service=spec.name, poll_interval_s=settings.outbox_poll_interval_s
        )
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.bus = bus
        app.state.relay = relay
        # After each commit (requests, consumers, periodic tasks): wake the relay, and what services register.
        after_commit = AfterCommitHooks(relay.wake)
        app.state.after_commit = after_commit
        app.state.periodic_tasks = []
        consumers = [
            EventConsumer(
                bus=bus,
                sessionmaker=sessionmaker,
                service=spec.name,
                name=c.name,
                producer=c.producer,
                handlers=c.handlers,
                batch_handlers=c.batch_handlers,
                schemas=c.schemas,
                batch_size=c.batch_size,
                max_deliver=settings.consumer_max_deliver,
                ack_wait_s=settings.consumer_ack_wait_s,
                after_commit=after_commit,
                settings=settings,
            )
            for c in spec.consumers
        ]
        app.state.consumers = consumers
        metrics = (
            MetricsListener(settings.metrics_host, settings.metrics_port)
            if settings.metrics_port is not None
            else None
        )
        if metrics is not None:
            metrics.start()
        await bus.start()
        if settings.run_background_workers:
            relay.start()
            for consumer in consumers:
                consumer.start()
        for hook in spec.on_startup:
            await hook(app)
        checks = health_checks.PeriodicChecks(
            app,
            [*health_checks.KIT_CHECKS, *spec.periodic_checks],
            interval_scale=settings.periodic_check_interval_scale,
        )
        if settings.run_background_workers and settings.periodic_checks:
            checks.start()
        logger.info("%s started", spec.name)
        try:
            yield
        finally:
            # Periodic tasks first: their ticks may use what the shutdown hooks close.
            for task in app.state.periodic_tasks:
                await task.stop()
            await checks.stop()
            for hook in spec.on_shutdown:
                await hook(app)
            for consumer in consumers:
                await consumer.stop()
            await relay.stop()
            await bus.close()
            await engine.dispose()
            if metrics is not None:
                await metrics.stop()

    app = app_class(
        title=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
        telemetry=_fastapi_telemetry(),
        # Text PostgreSQL cannot store, and integers beyond a column's range, are a 422 naming the field, in every
        # service, before any query.
        dependencies=[Depends(reject_unstorable), Depends(reject_out_of_range)],
        # The API is read at the gateway (/docs, /redoc from its own assets); a service serves /openapi.json only.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.spec = spec
    install_error_handlers(app)
    install_problem_openapi(app)
    app.add_middleware(RequestContextMiddleware, service=spec.name)

    @app.get("/healthz", tags=["运维 ops"], summary="进程存活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get(
        "/readyz",
        tags=["运维 ops"],
        summary="就绪：数据库已迁移到最新、NATS 已连接",
        response_model=Readiness,
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await current_revisions(app.state.engine)
            checks["database"] = (
                "ok"
                if current == heads
                else f"migrations pending: at {sorted(current)}, head {sorted(heads)}"
            )
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["nats"] = "ok" if app.state.bus.connected else "disconnected"
        for extra_check in spec.readiness_checks:
            checks.update(await extra_check(app))
        ready = all(v == "ok" for v in checks.values())
        body: dict[str, Any] = {
            "status": "ready" if ready else "not_ready",
            "service": spec.name,
            "checks": checks,
        }
        if not ready:
            body.update({"code": "not_ready", "title": "服务未就绪", "status_code": 503})
        return JSONResponse(
            body,
            status_code=200 if ready else 503,
            media_type="application/json" if ready else "application/problem+json",
        )

    for router in spec.routers:
        app.include_router(router)
    return app
