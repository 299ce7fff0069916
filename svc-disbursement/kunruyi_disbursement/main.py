"""svc-disbursement 兑现与拨付服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app

from kunruyi_disbursement.agreements.endpoints import router as agreements_router
from kunruyi_disbursement.applications.attachment_file import router as attachment_file_router
from kunruyi_disbursement.applications.endpoints import router as applications_router
from kunruyi_disbursement.applications.reveal import router as application_reveal_router
from kunruyi_disbursement.audit.endpoints import router as audit_router
from kunruyi_disbursement.budgets.endpoints import router as budgets_router
from kunruyi_disbursement.directory.consumer import HANDLERS as NAME_HANDLERS
from kunruyi_disbursement.directory.consumer import SCHEMAS as NAME_SCHEMAS
from kunruyi_disbursement.disbursements.consumer import (
    ENTITLEMENT_DETERMINED,
    on_entitlement_determined,
    on_entitlements_determined,
)
from kunruyi_disbursement.disbursements.endpoints import router as disbursements_router
from kunruyi_disbursement.disbursements.service import EntitlementDetermined
from kunruyi_disbursement.health_checks import CHECKS as HEALTH_CHECKS
from kunruyi_disbursement.ledger.endpoints import router as ledger_router
from kunruyi_disbursement.objections.endpoints import router as objections_router
from kunruyi_disbursement.payments.endpoints import router as payments_router
from kunruyi_disbursement.payments.worker import start_background_work, stop_background_work
from kunruyi_disbursement.policies.consumer import POLICY_EVENT_TYPES, POLICY_SCHEMAS, on_policy_event
from kunruyi_disbursement.programs.endpoints import router as programs_router
from kunruyi_disbursement.reconciliation.endpoints import router as reconciliation_router
from kunruyi_disbursement.reports.endpoints import router as reports_router
from kunruyi_disbursement.settings import Settings, get_settings

SERVICE_NAME = "disbursement"


def build_spec(settings: Settings | None = None) -> ServiceSpec:

    settings = settings or get_settings()
    return ServiceSpec(
        name=SERVICE_NAME,
        title="svc-disbursement 兑现与拨付服务",
        description="申报与审核、预算与复式记账、免申即享拨付、银行支付与对账、审计日志（昆如意）",
        package="kunruyi_disbursement",
        routers=[
            budgets_router,
            ledger_router,
            disbursements_router,
            payments_router,
            applications_router,
            application_reveal_router,
            attachment_file_router,
            reconciliation_router,
            reports_router,
            programs_router,
            objections_router,
            agreements_router,
            audit_router,
        ],
        consumers=[
            # names of companies and talents for the lists staff read (申报, 拨付, 报表)
            ConsumerSpec(name="directory", producer="talent", handlers=NAME_HANDLERS, schemas=NAME_SCHEMAS),
            ConsumerSpec(
                name="policies",
                producer="policy",
                handlers={t: on_policy_event for t in POLICY_EVENT_TYPES},
                schemas=POLICY_SCHEMAS,
            ),
            # Entitlements have a durable of their own, so catalog updates never wait behind a burst of them, and
            # are applied a fetch at a time (up to entitlement_batch_size in one transaction): the difference
            # between tens and hundreds of payments per second.
            ConsumerSpec(
                name="entitlements",
                producer="policy",
                handlers={ENTITLEMENT_DETERMINED: on_entitlement_determined},
                batch_handlers={ENTITLEMENT_DETERMINED: on_entitlements_determined},
                batch_size=settings.entitlement_batch_size,
                schemas={ENTITLEMENT_DETERMINED: EntitlementDetermined},
            ),
        ],
        on_startup=[start_background_work],
        on_shutdown=[stop_background_work],
        periodic_checks=HEALTH_CHECKS,
    )


def create_app() -> FastAPI:
    settings = get_settings()
    return create_service_app(build_spec(settings), settings)


app = create_app()
