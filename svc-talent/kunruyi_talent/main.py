"""svc-talent 人才与企业服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app

from kunruyi_talent import background
from kunruyi_talent.activities.endpoints import router as activities_router
from kunruyi_talent.campaigns.endpoints import router as campaigns_router
from kunruyi_talent.enterprise.endpoints import router as enterprise_router
from kunruyi_talent.health_checks import CHECKS as HEALTH_CHECKS
from kunruyi_talent.housing.endpoints import router as housing_router
from kunruyi_talent.imports.endpoints import router as imports_router
from kunruyi_talent.indicators import consumers as indicator_consumers
from kunruyi_talent.indicators.endpoints import router as indicators_router
from kunruyi_talent.messages import consumers as message_consumers
from kunruyi_talent.messages import sender as sms_sender
from kunruyi_talent.messages.endpoints import router as messages_router
from kunruyi_talent.messages.endpoints import staff_router as message_deliveries_router
from kunruyi_talent.names.endpoints import router as names_router
from kunruyi_talent.platforms.endpoints import router as platforms_router
from kunruyi_talent.servicedesk.endpoints import router as servicedesk_router
from kunruyi_talent.servicelists import consumers as list_consumers
from kunruyi_talent.servicelists.endpoints import router as servicelists_router
from kunruyi_talent.settings import get_settings
from kunruyi_talent.talent import consumers as talent_consumers
from kunruyi_talent.talent.endpoints import router as talent_router
from kunruyi_talent.teams.endpoints import router as teams_router

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
            activities_router,
            servicelists_router,
            messages_router,
            message_deliveries_router,
            indicators_router,
            platforms_router,
            teams_router,
        ],
        # The inbox (messages/): the events that concern a person, one durable per producer.
        consumers=[
            # Selection into a talent program adds it to the talent's profile (talent/consumers.py).
            ConsumerSpec(
                name="talent-programs",
                producer="disbursement",
                handlers=talent_consumers.HANDLERS,
                schemas=talent_consumers.SCHEMAS,
            ),
            # The indicator system (indicators/): settled payments for the payouts indicator ...
            ConsumerSpec(
                name="indicators-disbursement",
                producer="disbursement",
                handlers=indicator_consumers.HANDLERS,
                schemas=indicator_consumers.SCHEMAS,
            ),
            # ... and challenges awarded, for 新增“揭榜挂帅”攻关项目.
            ConsumerSpec(
                name="indicators-matching",
                producer="matching",
                handlers=indicator_consumers.MATCHING_HANDLERS,
                schemas=indicator_consumers.MATCHING_SCHEMAS,
            ),
            ConsumerSpec(
                name="messages-disbursement",
                producer="disbursement",
                handlers=message_consumers.DISBURSEMENT_HANDLERS,
                schemas=message_consumers.DISBURSEMENT_SCHEMAS,
            ),
            ConsumerSpec(
                name="messages-talent",
                producer="talent",
                handlers=message_consumers.TALENT_HANDLERS,
                schemas=message_consumers.TALENT_SCHEMAS,
            ),
            ConsumerSpec(
                name="messages-policy",
                producer="policy",
                handlers=message_consumers.POLICY_HANDLERS,
                batch_handlers=message_consumers.POLICY_BATCH_HANDLERS,
                schemas=message_consumers.POLICY_SCHEMAS,
            ),
            ConsumerSpec(
                name="messages-matching",
                producer="matching",
                handlers=message_consumers.MATCHING_HANDLERS,
                schemas=message_consumers.MATCHING_SCHEMAS,
            ),
            # The three lists (servicelists/): technology demands and the policies matched to a company.
            ConsumerSpec(
                name="lists-matching",
                producer="matching",
                handlers=list_consumers.MATCHING_HANDLERS,
                schemas=list_consumers.MATCHING_SCHEMAS,
            ),
            ConsumerSpec(
                name="lists-policy",
                producer="policy",
                handlers=list_consumers.POLICY_HANDLERS,
                batch_handlers=list_consumers.POLICY_BATCH_HANDLERS,
                schemas=list_consumers.POLICY_SCHEMAS,
            ),
        ],
        on_startup=[background.start, sms_sender.start],
        periodic_checks=HEALTH_CHECKS,
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
