"""svc-matching 技术经纪撮合服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app

from kunruyi_matching import events as _events  # noqa: F401  (registers the event schemas)
from kunruyi_matching.broker.endpoints import router as broker_router
from kunruyi_matching.broker.scheduler import start_scheduler
from kunruyi_matching.challenge.endpoints import router as challenge_router
from kunruyi_matching.demand import consumers as demand_consumers
from kunruyi_matching.demand.endpoints import router as demand_router
from kunruyi_matching.demand.reveal import router as demand_reveal_router
from kunruyi_matching.engagement.endpoints import router as engagement_router
from kunruyi_matching.financing.endpoints import router as financing_router
from kunruyi_matching.search.endpoints import router as search_router
from kunruyi_matching.search.lifecycle import start_index
from kunruyi_matching.settings import get_settings
from kunruyi_matching.supply.consumer import COMPANY_HANDLERS, COMPANY_SCHEMAS
from kunruyi_matching.supply.consumer import HANDLERS as TALENT_HANDLERS
from kunruyi_matching.supply.consumer import SCHEMAS as TALENT_SCHEMAS
from kunruyi_matching.supply.endpoints import router as supply_router

SERVICE_NAME = "matching"


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-matching 技术经纪撮合服务",
        description="技术需求、供给检索与匹配、技术经纪人指派、撮合流程、揭榜挂帅（昆如意）",
        package="kunruyi_matching",
        # search_router first: /api/v1/supply/search must win over /api/v1/supply/{id}.
        routers=[
            search_router,
            demand_router,
            demand_reveal_router,
            engagement_router,
            supply_router,
            broker_router,
            challenge_router,
            financing_router,
        ],
        consumers=[
            ConsumerSpec(name="experts", producer="talent", handlers=TALENT_HANDLERS, schemas=TALENT_SCHEMAS),
            ConsumerSpec(
                name="companies", producer="talent", handlers=COMPANY_HANDLERS, schemas=COMPANY_SCHEMAS
            ),
            # A need heard at an activity, converted by its host officer, becomes a demand (demand/consumers.py).
            ConsumerSpec(
                name="activity-leads",
                producer="talent",
                handlers=demand_consumers.HANDLERS,
                schemas=demand_consumers.SCHEMAS,
            ),
        ],
        on_startup=[start_index, start_scheduler],
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
