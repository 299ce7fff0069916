"""The money path's periodic check: ledger invariants, the audit chain, payments in flight, disbursements waiting
for budget and the latest reconciliation are exported as gauges the alert rules read (deploy/observability/)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from kunruyi_disbursement.health_checks import check_audit, check_ledger, check_payments
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def app_on(session: AsyncSession) -> Any:
    """The checks open their own sessions: here on the test's connection, so what they see is rolled back too."""
    sessionmaker = async_sessionmaker(bind=session.bind, join_transaction_mode="create_savepoint")
    return SimpleNamespace(state=SimpleNamespace(sessionmaker=sessionmaker))


async def add_disbursement(session: AsyncSession, status: str, age_s: float) -> None:
    await session.execute(
        text(
            "INSERT INTO disbursements (id, mode, policy_code, entity_type, entity_id, period, fiscal_year, "
            "amount_fen, status, reservation_id, instruction_sent_at, created_at) VALUES (:id, 'automatic', "
            "'KS-HC-1', 'enterprise', :entity, '2026', 2026, 100, :status, :res, "
            "CASE WHEN :status IN ('instructing', 'instructed') THEN now() - make_interval(secs => :age) END, "
            "now() - make_interval(secs => :age))"
        ),
        {
            "id": uuid.uuid4(),
            "entity": uuid.uuid4().hex[:12],
            "status": status,
            "res": uuid.uuid4(),
            "age": age_s,
        },
    )


async def test_payments_in_flight_waiting_for_budget_and_reconciliation(session: AsyncSession) -> None:
    app = app_on(session)
    await check_payments(app)
    assert sample("kunruyi_disbursement_payment_in_flight_oldest_age_seconds") == 0
    assert sample("kunruyi_disbursement_awaiting_budget_oldest_age_seconds") == 0
    assert sample("kunruyi_disbursement_reconciliation_mismatches", kind="amount_mismatch") == 0

    await add_disbursement(session, "instructed", 20 * 60)
    await add_disbursement(session, "instructing", 60)
    await add_disbursement(session, "settled", 3 * 86400)
    await add_disbursement(session, "awaiting_budget", 2 * 86400)
    await session.execute(
        text(
            "INSERT INTO reconciliation_runs (id, statement_date, matched, missing_in_ledger, missing_in_bank, "
            "amount_mismatches, report) VALUES (:id, '2026-12-01', 5, 0, 1, 2, '{}')"
        ),
        {"id": uuid.uuid4()},
    )
    await session.flush()
    await check_payments(app)
    assert sample("kunruyi_disbursement_payments_in_flight") == 2
    in_flight_age = sample("kunruyi_disbursement_payment_in_flight_oldest_age_seconds")
    assert in_flight_age is not None and 20 * 60 <= in_flight_age < 30 * 60
    assert sample("kunruyi_disbursement_awaiting_budget") == 1
    waiting_age = sample("kunruyi_disbursement_awaiting_budget_oldest_age_seconds")
    assert waiting_age is not None and waiting_age >= 2 * 86400
    assert sample("kunruyi_disbursement_reconciliation_mismatches", kind="amount_mismatch") == 2
    assert sample("kunruyi_disbursement_reconciliation_mismatches", kind="missing_in_bank") == 1
    assert sample("kunruyi_disbursement_reconciliation_mismatches", kind="missing_in_ledger") == 0
    assert (sample("kunruyi_disbursement_reconciliation_last_run_timestamp_seconds") or 0) > 0


async def test_a_broken_ledger_and_a_truncated_audit_chain_set_their_gauges_to_zero(
    session: AsyncSession,
) -> None:
    app = app_on(session)
    await check_ledger(app)
    await check_audit(app)
    assert sample("kunruyi_disbursement_ledger_invariant_ok", check="balances_equal_sum_of_transfers") == 1
    assert sample("kunruyi_disbursement_audit_chain_ok") == 1

    # An account whose balance no transfer explains, and a chain head that claims an entry nobody can find.
    await session.execute(
        text(
            "INSERT INTO ledger_accounts (id, code, kind, debits_posted) VALUES (:id, 'hc:bad', 'clearing', 5)"
        ),
        {"id": uuid.uuid4()},
    )
    await session.execute(text("UPDATE audit_chain_head SET last_seq = last_seq + 1 WHERE id = 1"))
    await session.flush()
    await check_ledger(app)
    await check_audit(app)
    assert sample("kunruyi_disbursement_ledger_invariant_ok", check="balances_equal_sum_of_transfers") == 0
    assert sample("kunruyi_disbursement_ledger_invariant_ok", check="debits_equal_credits_posted") == 0
    assert sample("kunruyi_disbursement_ledger_invariant_ok", check="no_budget_below_zero") == 1
    assert sample("kunruyi_disbursement_audit_chain_ok") == 0


def test_entitlement_to_settlement_is_timed_for_entitlements_only() -> None:
    from datetime import UTC, datetime, timedelta

    from kunruyi_disbursement.health_checks import observe_settled

    def count() -> float:
        return sample("kunruyi_disbursement_entitlement_to_settlement_seconds_count") or 0

    def within_an_hour() -> float:
        return sample("kunruyi_disbursement_entitlement_to_settlement_seconds_bucket", le="3600.0") or 0

    settled = datetime.now(UTC)
    before, before_hour = count(), within_an_hour()
    observe_settled(SimpleNamespace(entitlement_id="E1", created_at=settled - timedelta(minutes=30)), settled)
    observe_settled(SimpleNamespace(entitlement_id=None, created_at=settled - timedelta(days=3)), settled)
    assert count() == before + 1, "an application's payment is not an entitlement's"
    assert within_an_hour() == before_hour + 1
