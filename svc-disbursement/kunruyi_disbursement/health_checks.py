"""The money path's health as gauges, for the alert rules (deploy/observability/rules/): a periodic check in the
app runs the ledger invariants, verifies the audit chain, and measures payments in flight, disbursements waiting
for budget and the latest reconciliation's mismatches. Plus the entitlement-to-settlement time (an objective,
docs/slo.md), observed when a payment settles.

Every replica runs the checks and exports the same values (the rules take ``max()``). The ledger and audit checks
read whole tables, so they run every 5 and 15 minutes; the rest are index scans every 30 s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from kunruyi_common.health_checks import PeriodicCheck
from prometheus_client import Gauge, Histogram

from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.payments import repository as payments
from kunruyi_disbursement.reconciliation import repository as reconciliation

LEDGER_INVARIANT_OK = Gauge(
    "kunruyi_disbursement_ledger_invariant_ok",
    "1 when the ledger invariant held at the last check, 0 when it failed",
    ["check"],
)
AUDIT_CHAIN_OK = Gauge(
    "kunruyi_disbursement_audit_chain_ok",
    "1 when the audit chain verified at the last check, 0 when it did not",
)
IN_FLIGHT = Gauge(
    "kunruyi_disbursement_payments_in_flight", "Payments instructed and not yet settled, failed or returned"
)
IN_FLIGHT_OLDEST_AGE = Gauge(
    "kunruyi_disbursement_payment_in_flight_oldest_age_seconds",
    "Age of the oldest payment in flight, from its instruction (0 when none is in flight)",
)
AWAITING_BUDGET = Gauge(
    "kunruyi_disbursement_awaiting_budget", "Disbursements waiting for their department's budget"
)
AWAITING_BUDGET_OLDEST_AGE = Gauge(
    "kunruyi_disbursement_awaiting_budget_oldest_age_seconds",
    "Age of the oldest disbursement waiting for budget (0 when none waits)",
)
RECONCILIATION_MISMATCHES = Gauge(
    "kunruyi_disbursement_reconciliation_mismatches",
    "Mismatches found by the latest reconciliation run, by kind",
    ["kind"],
)
RECONCILIATION_LAST_RUN = Gauge(
    "kunruyi_disbursement_reconciliation_last_run_timestamp_seconds",
    "When the latest reconciliation run was made (Unix time; 0 before the first)",
)
ENTITLEMENT_TO_SETTLEMENT = Histogram(
    "kunruyi_disbursement_entitlement_to_settlement_seconds",
    "From a 免申即享 entitlement's disbursement being created to the bank's settlement",
    buckets=(60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400),
)


def observe_settled(disbursement: Any, settled_at: datetime) -> None:
    """A 免申即享 payment settled: how long since its entitlement arrived (applications are not counted)."""
    created_at = getattr(disbursement, "created_at", None)
    if not getattr(disbursement, "entitlement_id", None) or created_at is None:
        return
    if (settled_at.tzinfo is None) != (created_at.tzinfo is None):
        return  # a bank time without a zone: not comparable, not guessed
    ENTITLEMENT_TO_SETTLEMENT.observe(max(0.0, (settled_at - created_at).total_seconds()))


async def check_ledger(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        result = await ledger.check_invariants(session)
    for name, ok in result["checks"].items():
        LEDGER_INVARIANT_OK.labels(name).set(1 if ok else 0)


async def check_audit(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        result = await audit.verify(session)
    AUDIT_CHAIN_OK.set(1 if result["ok"] else 0)


async def check_payments(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        flight = await payments.in_flight_stats(session)
        waiting = await payments.awaiting_budget_stats(session)
        latest = await reconciliation.latest_run(session)
    IN_FLIGHT.set(int(flight.n))
    IN_FLIGHT_OLDEST_AGE.set(float(flight.age))
    AWAITING_BUDGET.set(int(waiting.n))
    AWAITING_BUDGET_OLDEST_AGE.set(float(waiting.age))
    counts = (0, 0, 0) if latest is None else (latest[0], latest[1], latest[2])
    for kind, count in zip(("missing_in_ledger", "missing_in_bank", "amount_mismatch"), counts, strict=True):
        RECONCILIATION_MISMATCHES.labels(kind).set(int(count))
    RECONCILIATION_LAST_RUN.set(0 if latest is None else float(latest.at))


CHECKS = (
    PeriodicCheck("payments", check_payments, 30.0),
    PeriodicCheck("ledger_invariants", check_ledger, 300.0),
    # Walks the whole chain (hashing every entry), so less often.
    PeriodicCheck("audit_chain", check_audit, 900.0),
)
