"""svc-matching 技术经纪撮合服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app

from kunruyi_matching.settings import get_settings

SERVICE_NAME = "matching"


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-matching 技术经纪撮合服务",
        description="svc-matching 技术经纪撮合服务（昆如意）",
        package="kunruyi_matching",
        routers=[],
        consumers=[],
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
