"""svc-talent 人才与企业服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app

from kunruyi_talent import background
from kunruyi_talent.campaigns.endpoints import router as campaigns_router
from kunruyi_talent.enterprise.endpoints import router as enterprise_router
from kunruyi_talent.health_checks import CHECKS as HEALTH_CHECKS
from kunruyi_talent.housing.endpoints import router as housing_router
from kunruyi_talent.imports.endpoints import router as imports_router
from kunruyi_talent.names.endpoints import router as names_router
from kunruyi_talent.servicedesk.endpoints import router as servicedesk_router
from kunruyi_talent.servicelists.endpoints import router as servicelists_router
from kunruyi_talent.settings import get_settings
from kunruyi_talent.talent.endpoints import router as talent_router

SERVICE_NAME = "talent"


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-talent 人才与企业服务",
        description="svc-talent 人才与企业服务（昆如意）",
        package="kunruyi_talent",
        routers=[
            names_router,
            enterprise_router,
            talent_router,
            servicedesk_router,
            housing_router,
            imports_router,
            campaigns_router,
            servicelists_router,
        ],
        consumers=[],
        on_startup=[background.start],
        periodic_checks=HEALTH_CHECKS,
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
