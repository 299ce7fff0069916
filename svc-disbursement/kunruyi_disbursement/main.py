"""svc-disbursement 兑现与拨付服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app

from kunruyi_disbursement.settings import get_settings

SERVICE_NAME = "disbursement"


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-disbursement 兑现与拨付服务",
        description="svc-disbursement 兑现与拨付服务（昆如意）",
        package="kunruyi_disbursement",
        routers=[],
        consumers=[],
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
