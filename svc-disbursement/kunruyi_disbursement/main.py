"""svc-disbursement 兑现与拨付服务 — the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI
from kunruyi_common.app import ConsumerSpec, ServiceSpec, create_service_app

from kunruyi_disbursement.audit.endpoints import router as audit_router
from kunruyi_disbursement.budgets.endpoints import router as budgets_router
from kunruyi_disbursement.disbursements.endpoints import router as disbursements_router
from kunruyi_disbursement.health_checks import CHECKS as HEALTH_CHECKS
from kunruyi_disbursement.ledger.endpoints import router as ledger_router
from kunruyi_disbursement.payments.endpoints import router as payments_router
from kunruyi_disbursement.payments.worker import start_background_work, stop_background_work
from kunruyi_disbursement.policies.consumer import POLICY_EVENT_TYPES, on_policy_event
from kunruyi_disbursement.settings import get_settings

SERVICE_NAME = "disbursement"


def build_spec() -> ServiceSpec:
    from kunruyi_disbursement.applications.endpoints import router as applications_router
    from kunruyi_disbursement.disbursements.batch_consumer import DURABLE as ENTITLEMENTS_DURABLE
    from kunruyi_disbursement.disbursements.consumer import ENTITLEMENT_DETERMINED, on_entitlement_determined
    from kunruyi_disbursement.disbursements.service import EntitlementDetermined
    from kunruyi_disbursement.reconciliation.endpoints import router as reconciliation_router
    from kunruyi_disbursement.reports.endpoints import router as reports_router

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
            reconciliation_router,
            reports_router,
            audit_router,
        ],
        consumers=[
            # Entitlements have their own batched consumer (disbursements/batch_consumer.py, started below with
            # the payment worker), so catalog updates never wait behind a burst of them.
            ConsumerSpec(
                name="policies", producer="policy", handlers={t: on_policy_event for t in POLICY_EVENT_TYPES}
            ),
        ],
        own_consumers=[
            ConsumerSpec(
                name=ENTITLEMENTS_DURABLE,
                producer="policy",
                handlers={ENTITLEMENT_DETERMINED: on_entitlement_determined},
                schemas={ENTITLEMENT_DETERMINED: EntitlementDetermined},
            )
        ],
        on_startup=[start_background_work],
        on_shutdown=[stop_background_work],
        periodic_checks=HEALTH_CHECKS,
    )


def create_app() -> FastAPI:
    return create_service_app(build_spec(), get_settings())


app = create_app()
