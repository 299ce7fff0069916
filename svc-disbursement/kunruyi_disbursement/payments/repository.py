"""Queries of payments: bank instructions, bank updates, callbacks and payees, over the Core tables of
``kunruyi_disbursement.tables``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import (
    bank_callbacks,
    disbursements,
    ledger_accounts,
    payees,
    superseded_payments,
)

d = disbursements.c

# Kept as SQL: the claim picks due rows with SKIP LOCKED, fixes each one's payee (its registered account, built as
# JSON, or the one already fixed) and marks it instructing with a back-off in one statement; the CTE and the
# jsonb_build_object read as the rule they implement.
# The payee is fixed at the first claim (``instruction_payee``) and every resend carries that same payee: a payee
# registered or changed in between must not turn a resend into a different instruction under the same reference.
CLAIM = text(
    """
    WITH due AS (
        SELECT d.id, coalesce(d.instruction_payee, CASE WHEN p.id IS NULL
                THEN jsonb_build_object('mode', 'registered_account')
                ELSE jsonb_build_object('mode', 'account', 'payee_id', p.id,
                    'account_number_encrypted', p.account_number_encrypted, 'account_name', p.account_name,
                    'bank_name', p.bank_name) END) AS payee
        FROM disbursements d
        LEFT JOIN payees p ON p.entity_type = d.entity_type AND p.entity_id = d.entity_id
        WHERE d.status = 'reserved' OR (d.status = 'instructing' AND d.next_attempt_at <= now())
        ORDER BY d.reserved_at LIMIT :n FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE disbursements d SET status = 'instructing',
        instruction_sent_at = coalesce(d.instruction_sent_at, now()),
        instruction_attempts = d.instruction_attempts + 1,
        next_attempt_at = now() + make_interval(secs => least(:base * power(2, d.instruction_attempts), :max)),
        instruction_payee = due.payee, payee_id = CAST(due.payee ->> 'payee_id' AS uuid), updated_at = now()
    FROM due
    WHERE d.id = due.id
    RETURNING d.*, due.payee ->> 'account_number_encrypted' AS payee_account,
              due.payee ->> 'account_name' AS payee_name, due.payee ->> 'bank_name' AS payee_bank
    """
)


async def claim_due(session: AsyncSession, *, limit: int, base_s: float, max_s: float) -> list[Row[Any]]:
    """Claim up to ``limit`` disbursements due for an instruction (see :data:`CLAIM`)."""
    result = await session.execute(CLAIM, {"n": limit, "base": base_s, "max": max_s})
    return list(result.all())


async def set_last_error(session: AsyncSession, ids: list[uuid.UUID], error: str) -> None:
    await session.execute(update(disbursements).where(d.id.in_(ids)).values(last_error=error))


async def lock_ids(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Lock the disbursement rows ``ids`` in id order."""
    await session.execute(select(d.id).where(d.id.in_(ids)).order_by(d.id).with_for_update())


async def mark_instructed(
    session: AsyncSession, ids: list[uuid.UUID], *, next_attempt_at: Any, last_error: str | None
) -> None:
    """The bank holds these instructions: rows still ``instructing`` become ``instructed``."""
    await session.execute(
        update(disbursements)
        .where(d.id.in_(ids), d.status == "instructing")
        .values(
            status="instructed",
            bank_accepted_at=func.coalesce(d.bank_accepted_at, func.now()),
            next_attempt_at=next_attempt_at,
            last_error=last_error,
        )
    )


# Kept as SQL: picks the due rows with SKIP LOCKED and pushes their next poll back in one statement.
POLL_DUE = text(
    "WITH due AS (SELECT id FROM disbursements WHERE status = 'instructed' AND next_attempt_at <= now() "
    "ORDER BY next_attempt_at LIMIT :n FOR UPDATE SKIP LOCKED) "
    "UPDATE disbursements d SET next_attempt_at = now() + make_interval(secs => :after) "
    "FROM due WHERE d.id = due.id RETURNING d.id, d.reservation_id"
)


async def claim_poll_due(session: AsyncSession, *, limit: int, after_s: float) -> list[Row[Any]]:
    return list((await session.execute(POLL_DUE, {"n": limit, "after": after_s})).all())


async def instruct_again(session: AsyncSession, disbursement_id: uuid.UUID) -> None:
    """The bank never got the instruction: an ``instructed`` row goes back to ``instructing``, due now."""
    await session.execute(
        update(disbursements)
        .where(d.id == disbursement_id, d.status == "instructed")
        .values(status="instructing", next_attempt_at=func.now())
    )


async def budgets_with_parked_and_room(session: AsyncSession) -> Sequence[Row[Any, Any]]:
    """(policy_code, fiscal_year) of every budget that has room and disbursements waiting for it."""
    a = ledger_accounts.c
    code = func.concat("budget:", d.policy_code, ":", d.fiscal_year)
    statement = (
        select(d.policy_code, d.fiscal_year)
        .distinct()
        .select_from(disbursements.join(ledger_accounts, a.code == code))
        .where(d.status == "awaiting_budget", a.credits_posted - a.debits_posted - a.debits_pending > 0)
    )
    return (await session.execute(statement)).all()


async def lock_by_reference(session: AsyncSession, reference: uuid.UUID) -> Row[Any] | None:
    statement = select(disbursements).where(d.reservation_id == reference).with_for_update()
    return (await session.execute(statement)).first()


async def lock_by_references(session: AsyncSession, references: list[uuid.UUID]) -> Sequence[Row[Any]]:
    statement = select(disbursements).where(d.reservation_id.in_(references)).order_by(d.id).with_for_update()
    return (await session.execute(statement)).all()


async def superseded(session: AsyncSession, reference: uuid.UUID) -> Row[Any] | None:
    statement = select(superseded_payments.c.disbursement_id).where(
        superseded_payments.c.reference == reference
    )
    return (await session.execute(statement)).first()


async def record_callback(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(bank_callbacks).values(**values))


async def set_last_error_of(session: AsyncSession, disbursement_id: uuid.UUID, error: str) -> None:
    await session.execute(
        update(disbursements).where(d.id == disbursement_id).values(last_error=error, updated_at=func.now())
    )


async def apply_bank_status(
    session: AsyncSession,
    disbursement_id: uuid.UUID,
    *,
    status: str,
    bank_status: str,
    bank_sequence: int,
    settled_at: datetime | None,
    failure_reason: str | None,
) -> Row[Any]:
    """The bank's word on the payment; the row after. A settlement time or failure reason already known stays
    unless the bank gives one."""
    statement = (
        update(disbursements)
        .where(d.id == disbursement_id)
        .values(
            status=status,
            bank_status=bank_status,
            bank_sequence=bank_sequence,
            settled_at=func.coalesce(settled_at, d.settled_at),
            failure_reason=func.coalesce(failure_reason, d.failure_reason),
            bank_accepted_at=func.coalesce(d.bank_accepted_at, func.now()),
            updated_at=func.now(),
        )
        .returning(disbursements)
    )
    row: Row[Any] = (await session.execute(statement)).one()
    return row


# Bulk statements of the settlement fast path, kept as SQL: ``unnest`` sends a batch of any size as a fixed number of
# parameters (see ``disbursements.repository``).
SETTLE_MANY = text(
    "UPDATE disbursements d SET status = 'settled', bank_status = 'settled', bank_sequence = v.q, "
    "settled_at = v.at, bank_accepted_at = coalesce(d.bank_accepted_at, now()), updated_at = now() "
    "FROM unnest(CAST(:id AS uuid[]), CAST(:q AS int[]), CAST(:at AS timestamptz[])) AS v(id, q, at) "
    "WHERE d.id = v.id RETURNING d.*"
)

RECORD_SETTLED_CALLBACKS = text(
    "INSERT INTO bank_callbacks (reference, bank_event_id, status, sequence, amount_fen, outcome) "
    "SELECT r, e, 'settled', q, a, 'applied' FROM unnest(CAST(:r AS text[]), CAST(:e AS text[]), "
    "CAST(:q AS int[]), CAST(:a AS bigint[])) AS t(r, e, q, a)"
)


async def settle_many(session: AsyncSession, columns: dict[str, list[Any]]) -> list[Row[Any]]:
    return list((await session.execute(SETTLE_MANY, columns)).all())


async def record_settled_callbacks(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await session.execute(RECORD_SETTLED_CALLBACKS, columns)


async def upsert_payee(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    """Register the entity's payee, or replace its account (one payee per entity)."""
    new = insert(payees).values(**values)
    statement = new.on_conflict_do_update(
        index_elements=["entity_type", "entity_id"],
        set_={
            "account_name": new.excluded.account_name,
            "account_number_encrypted": new.excluded.account_number_encrypted,
            "account_number_index": new.excluded.account_number_index,
            "account_number_masked": new.excluded.account_number_masked,
            "bank_name": new.excluded.bank_name,
            "updated_at": func.now(),
        },
    ).returning(payees)
    row: Row[Any] = (await session.execute(statement)).one()
    return row


def _age_seconds(oldest: Any) -> Any:
    return func.coalesce(func.extract("epoch", func.now() - func.min(oldest)), 0)


async def in_flight_stats(session: AsyncSession) -> Any:
    """(n, age): payments the bank has been instructed for and not yet answered, and the oldest one's age (s)."""
    statement = select(
        func.count().label("n"), _age_seconds(func.coalesce(d.instruction_sent_at, d.updated_at)).label("age")
    ).where(d.status.in_(("instructing", "instructed")))
    return (await session.execute(statement)).one()


async def awaiting_budget_stats(session: AsyncSession) -> Any:
    """(n, age): disbursements waiting for budget, and the oldest one's age (s)."""
    statement = select(func.count().label("n"), _age_seconds(d.created_at).label("age")).where(
        d.status == "awaiting_budget"
    )
    return (await session.execute(statement)).one()
