"""Queries of the ledger: accounts and transfers, over the Core tables of ``kunruyi_disbursement.tables``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kunruyi_disbursement.tables import ledger_accounts, ledger_transfers


async def insert_account(session: AsyncSession, values: dict[str, Any]) -> None:
    """Create the account unless it exists (its id is derived from its code, so a retry is a no-op).

    Any unique conflict means the account exists: naming only the id as the arbiter let two transactions creating
    the same account at once fail on the code's unique index instead (PostgreSQL checks the arbiter first, then the
    other unique indexes), which a settlement callback racing a top-up answered 409."""
    await session.execute(insert(ledger_accounts).values(**values).on_conflict_do_nothing())


async def lock_accounts(session: AsyncSession, ids: set[uuid.UUID]) -> Sequence[Row[Any]]:
    """``ids``' account rows, locked in id order in one statement."""
    statement = (
        select(ledger_accounts)
        .where(ledger_accounts.c.id.in_(sorted(ids)))
        .order_by(ledger_accounts.c.id)
        .with_for_update()
    )
    return (await session.execute(statement)).all()


# Kept as SQL: one statement locks both accounts in id order, inserts the transfer (or finds its id taken) and moves
# both balances by the inserted amount. Data-modifying CTEs that read each other's RETURNING are clearer written out
# than built from Core, and being one statement is what makes the budget CHECK the only arbiter of a reservation.
CREATE_TRANSFER = text(
    """
    WITH locked AS (
        SELECT id FROM ledger_accounts WHERE id IN (:debit, :credit) ORDER BY id FOR UPDATE
    ), ins AS (
        INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount_fen, phase, pending_id,
                                      cause_type, cause_id, rule_version, memo)
        VALUES (:id, :debit, :credit, :amount, :phase, :pending_id, :cause_type, :cause_id, :rule_version, :memo)
        ON CONFLICT (id) DO NOTHING
        RETURNING amount_fen
    ), upd AS (
        UPDATE ledger_accounts a SET
            debits_pending = a.debits_pending + CASE WHEN a.id = :debit THEN :dp * ins.amount_fen ELSE 0 END,
            debits_posted = a.debits_posted + CASE WHEN a.id = :debit THEN :dq * ins.amount_fen ELSE 0 END,
            credits_pending = a.credits_pending + CASE WHEN a.id = :credit THEN :dp * ins.amount_fen ELSE 0 END,
            credits_posted = a.credits_posted + CASE WHEN a.id = :credit THEN :dq * ins.amount_fen ELSE 0 END
        FROM ins
        WHERE a.id IN (:debit, :credit) AND (SELECT count(*) FROM locked) > 0
        RETURNING a.id
    )
    SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM upd) AS updated
    """
)


async def create_transfer(session: AsyncSession, params: dict[str, Any]) -> Row[Any]:
    """Run :data:`CREATE_TRANSFER`: (inserted, updated) counts."""
    return (await session.execute(CREATE_TRANSFER, params)).one()


async def get_transfer(session: AsyncSession, transfer_id: uuid.UUID) -> Row[Any]:
    return (await session.execute(select(ledger_transfers).where(ledger_transfers.c.id == transfer_id))).one()


async def get_pending_transfer(session: AsyncSession, transfer_id: uuid.UUID) -> Row[Any]:
    statement = select(ledger_transfers).where(
        ledger_transfers.c.id == transfer_id, ledger_transfers.c.phase == "pending"
    )
    return (await session.execute(statement)).one()


async def account_by_code(session: AsyncSession, code: str) -> Row[Any] | None:
    return (await session.execute(select(ledger_accounts).where(ledger_accounts.c.code == code))).first()


async def totals(session: AsyncSession) -> Row[Any]:
    a = ledger_accounts.c
    statement = select(
        func.coalesce(func.sum(a.debits_posted), 0).label("dq"),
        func.coalesce(func.sum(a.credits_posted), 0).label("cq"),
        func.coalesce(func.sum(a.debits_pending), 0).label("dp"),
        func.coalesce(func.sum(a.credits_pending), 0).label("cp"),
        func.count().label("n"),
    )
    return (await session.execute(statement)).one()


async def count_transfers(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(ledger_transfers))).scalar_one())


# Kept as SQL: each transfer contributes one leg per side with phase-dependent signs; the UNION ALL of the two legs and
# the CASE tables read as the ledger's definition of a balance, which is the point of this check.
MISMATCHED_BALANCES = text(
    """
    WITH legs AS (
        SELECT debit_account_id AS account_id,
               CASE phase WHEN 'pending' THEN amount_fen WHEN 'single' THEN 0 ELSE -amount_fen END AS d_pending,
               CASE WHEN phase IN ('single', 'post') THEN amount_fen ELSE 0 END AS d_posted,
               0::bigint AS c_pending, 0::bigint AS c_posted
        FROM ledger_transfers
        UNION ALL
        SELECT credit_account_id, 0, 0,
               CASE phase WHEN 'pending' THEN amount_fen WHEN 'single' THEN 0 ELSE -amount_fen END,
               CASE WHEN phase IN ('single', 'post') THEN amount_fen ELSE 0 END
        FROM ledger_transfers
    ), sums AS (
        SELECT account_id, sum(d_pending) AS dp, sum(d_posted) AS dq, sum(c_pending) AS cp, sum(c_posted) AS cq
        FROM legs GROUP BY account_id
    )
    SELECT a.code, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
           coalesce(s.dp, 0) AS dp, coalesce(s.dq, 0) AS dq, coalesce(s.cp, 0) AS cp, coalesce(s.cq, 0) AS cq
    FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id
    WHERE a.debits_pending <> coalesce(s.dp, 0) OR a.debits_posted <> coalesce(s.dq, 0)
       OR a.credits_pending <> coalesce(s.cp, 0) OR a.credits_posted <> coalesce(s.cq, 0)
    """
)


async def mismatched_balances(session: AsyncSession) -> Sequence[Any]:
    return (await session.execute(MISMATCHED_BALANCES)).mappings().all()


async def bad_resolutions(session: AsyncSession) -> Sequence[uuid.UUID]:
    """Posts and voids whose pending transfer is not pending or differs in amount or accounts."""
    r = ledger_transfers
    p = aliased(ledger_transfers)
    statement = (
        select(r.c.id)
        .join(p, p.c.id == r.c.pending_id)
        .where(
            (p.c.phase != "pending")
            | (p.c.amount_fen != r.c.amount_fen)
            | (p.c.debit_account_id != r.c.debit_account_id)
            | (p.c.credit_account_id != r.c.credit_account_id)
        )
    )
    return (await session.execute(statement)).scalars().all()


async def overdrawn_accounts(session: AsyncSession) -> Sequence[str]:
    a = ledger_accounts.c
    statement = select(a.code).where(
        a.must_not_overdraw, a.credits_posted - a.debits_posted - a.debits_pending < 0
    )
    return (await session.execute(statement)).scalars().all()
