"""svc-policy 政策服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app

from kunruyi_policy import events as _events  # noqa: F401  (registers the event schemas)
from kunruyi_policy.calculator.endpoints import router as calculator_router
from kunruyi_policy.calculator.endpoints import watch_catalog_revision
from kunruyi_policy.catalog.endpoints import router as catalog_router
from kunruyi_policy.catalog_sheets.endpoints import router as catalog_sheets_router
from kunruyi_policy.documents.endpoints import router as documents_router
from kunruyi_policy.entitlements.endpoints import router as entitlements_router
from kunruyi_policy.jobs.endpoints import router as jobs_router
from kunruyi_policy.jobs.worker import start_job_worker
from kunruyi_policy.management.endpoints import router as management_router
from kunruyi_policy.profiles.awards import HANDLERS as AWARD_HANDLERS
from kunruyi_policy.profiles.awards import SCHEMAS as AWARD_SCHEMAS
from kunruyi_policy.profiles.financings import HANDLERS as FINANCING_HANDLERS
from kunruyi_policy.profiles.financings import SCHEMAS as FINANCING_SCHEMAS
from kunruyi_policy.profiles.handlers import (
    BATCH_HANDLERS,
    HANDLERS,
    SCHEMAS,
    TEAM_HANDLERS,
    TEAM_SCHEMAS,
)
from kunruyi_policy.settings import get_settings
from kunruyi_policy.simulations.endpoints import router as simulations_router

SERVICE_NAME = "policy"


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-policy 政策服务",
        description="政策目录、规则即代码（JSON Logic）、政策计算器、免申即享批次与政策沙盘（昆如意）",
        package="kunruyi_policy",
        routers=[
            catalog_router,
            catalog_sheets_router,
            documents_router,
            management_router,
            calculator_router,
            entitlements_router,
            simulations_router,
            jobs_router,
        ],
        consumers=[
            ConsumerSpec(
                name="talent-profiles",
                producer="talent",
                handlers=HANDLERS,
                batch_handlers=BATCH_HANDLERS,
                schemas=SCHEMAS,
            ),
            # 创新创业团队 (svc-talent's teams) into the read model as entity_type "team"
            ConsumerSpec(
                name="team-profiles", producer="talent", handlers=TEAM_HANDLERS, schemas=TEAM_SCHEMAS
            ),
            ConsumerSpec(
                name="financings",
                producer="matching",
                handlers=FINANCING_HANDLERS,
                schemas=FINANCING_SCHEMAS,
            ),
            ConsumerSpec(
                name="program-awards", producer="disbursement", handlers=AWARD_HANDLERS, schemas=AWARD_SCHEMAS
            ),
        ],
        on_startup=[start_job_worker, watch_catalog_revision],
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
