"""Double-entry ledger in PostgreSQL, after TigerBeetle: accounts with running balances, immutable transfers whose id
is the idempotency key, and two-phase transfers (pending → post | void).

The budget limit is enforced by the database: a budget account carries ``must_not_overdraw`` and a CHECK
``credits_posted - debits_posted - debits_pending >= 0``; the transfer insert and the balance updates are one
statement, so concurrent reservations serialise on the account row and the one that would overdraw fails the
CHECK. Nothing in Python reads a balance and decides. Accounts are always locked in id order (:func:`lock_accounts`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.ledger.exceptions import PendingTransferResolved, TransferConflict

AccountKind = Literal["budget", "payable", "clearing", "funding"]
Phase = Literal["single", "pending", "post", "void"]

_ACCOUNT_NAMESPACE = uuid.UUID("6f1c3a52-9f0e-4d38-9c0c-5d1b8f0a7e21")
_TRANSFER_NAMESPACE = uuid.UUID("0b7d2f7e-3c1a-4a8e-b7f5-2e6a9d4c1f03")

FUNDING_ACCOUNT = "funding:treasury"
CLEARING_ACCOUNT = "clearing:bank"


class BudgetExceeded(Exception):
    """The transfer would take a must-not-overdraw account below zero."""


def account_id(code: str) -> uuid.UUID:
    return uuid.uuid5(_ACCOUNT_NAMESPACE, code)


def derived_transfer_id(base: uuid.UUID | str, purpose: str) -> uuid.UUID:
    """Ids of the follow-up transfers of a reservation (post, void, payout…): deterministic, so a retry is a no-op."""
    return uuid.uuid5(_TRANSFER_NAMESPACE, f"{base}:{purpose}")


def budget_code(policy_code: str, fiscal_year: int) -> str:
    return f"budget:{policy_code}:{fiscal_year}"


def payable_code(entity_type: str, entity_id: str) -> str:
    return f"payable:{entity_type}:{entity_id}"


async def ensure_account(session: AsyncSession, code: str, kind: AccountKind, **attrs: Any) -> uuid.UUID:
    acct = account_id(code)
    await session.execute(
        text(
            "INSERT INTO ledger_accounts (id, code, kind, policy_code, fiscal_year, entity_type, entity_id, "
            "must_not_overdraw) VALUES (:id, :code, :kind, :pc, :fy, :et, :eid, :mno) ON CONFLICT (id) DO NOTHING"
        ),
        {
            "id": acct,
            "code": code,
            "kind": kind,
            "pc": attrs.get("policy_code"),
            "fy": attrs.get("fiscal_year"),
            "et": attrs.get("entity_type"),
            "eid": attrs.get("entity_id"),
            "mno": kind == "budget",
        },
    )
    return acct


async def ensure_budget_account(session: AsyncSession, policy_code: str, fiscal_year: int) -> uuid.UUID:
    return await ensure_account(
        session,
        budget_code(policy_code, fiscal_year),
        "budget",
        policy_code=policy_code,
        fiscal_year=fiscal_year,
    )


@dataclass(frozen=True)
class Transfer:
    id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount_fen: int
    phase: Phase
    cause_type: str
    cause_id: str
    rule_version: int | None = None
    pending_id: uuid.UUID | None = None
    memo: str | None = None

    def same_fields(self, row: Any) -> bool:
        return bool(
            row.debit_account_id == self.debit_account_id
            and row.credit_account_id == self.credit_account_id
            and row.amount_fen == self.amount_fen
            and row.phase == self.phase
            and row.pending_id == self.pending_id
            and row.cause_type == self.cause_type
            and row.cause_id == self.cause_id
            and row.rule_version == self.rule_version
        )


# (debits_pending, debits_posted, credits_pending, credits_posted) deltas per phase, as multiples of the amount.
_DELTAS: dict[str, tuple[int, int]] = {"single": (0, 1), "pending": (1, 0), "post": (-1, 1), "void": (-1, 0)}

_CREATE = text(
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


async def lock_accounts(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Lock ``ids`` in one statement, in id order — before a transaction's first balance change.

    The lock order of every money path: policy rows → disbursement rows (by id, or SKIP LOCKED) → ledger accounts,
    ALL the transaction will touch, here, in id order → the audit chain head (at commit, see ``audit.service``).
    A transaction that changes several transfers' accounts locks their union here first; a single transfer locks its
    two accounts in id order itself (``_CREATE``). Locking again what the transaction holds never waits."""
    rows = (
        await session.execute(
            text("SELECT * FROM ledger_accounts WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
            {"ids": sorted(ids)},
        )
    ).all()
    return {r.id: r for r in rows}


async def create_transfer(session: AsyncSession, transfer: Transfer) -> bool:
    """Create ``transfer``; True if new, False if the same transfer already exists (idempotent retry).

    Raises :class:`BudgetExceeded` when a limited account would go below zero (the caller should run this inside
    a savepoint if it wants to carry on), and ``Conflict(transfer_conflict)`` when the id was used for other fields.
    """
    dp, dq = _DELTAS[transfer.phase]
    params = {
        "id": transfer.id,
        "debit": transfer.debit_account_id,
        "credit": transfer.credit_account_id,
        "amount": transfer.amount_fen,
        "phase": transfer.phase,
        "pending_id": transfer.pending_id,
        "cause_type": transfer.cause_type,
        "cause_id": transfer.cause_id,
        "rule_version": transfer.rule_version,
        "memo": transfer.memo,
        "dp": dp,
        "dq": dq,
    }
    try:
        row = (await session.execute(_CREATE, params)).one()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "budget_not_negative" in message:
            raise BudgetExceeded(transfer.debit_account_id) from exc
        if "uq_ledger_transfers_pending_id" in message:
            raise PendingTransferResolved("该预留转账已被过账或作废") from exc
        raise
    if row.inserted:
        if row.updated != 2:
            raise RuntimeError(f"transfer {transfer.id} names an unknown account")
        return True
    existing = (
        await session.execute(text("SELECT * FROM ledger_transfers WHERE id = :id"), {"id": transfer.id})
    ).one()
    if not transfer.same_fields(existing):
        raise TransferConflict(f"转账 {transfer.id} 已存在且内容不同")
    return False


async def resolve_pending(
    session: AsyncSession, pending_id: uuid.UUID, phase: Literal["post", "void"]
) -> bool:
    pending = (
        await session.execute(
            text("SELECT * FROM ledger_transfers WHERE id = :id AND phase = 'pending'"), {"id": pending_id}
        )
    ).one()
    return await create_transfer(
        session,
        Transfer(
            id=derived_transfer_id(pending_id, phase),
            debit_account_id=pending.debit_account_id,
            credit_account_id=pending.credit_account_id,
            amount_fen=pending.amount_fen,
            phase=phase,
            pending_id=pending_id,
            cause_type=pending.cause_type,
            cause_id=pending.cause_id,
            rule_version=pending.rule_version,
            memo=f"{phase} of {pending_id}",
        ),
    )


async def account_balance(session: AsyncSession, code: str) -> dict[str, Any] | None:
    row = (
        (await session.execute(text("SELECT * FROM ledger_accounts WHERE code = :c"), {"c": code}))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return account_view(row)


def account_view(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "code": row["code"],
        "kind": row["kind"],
        "policy_code": row["policy_code"],
        "fiscal_year": row["fiscal_year"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "debits_pending": row["debits_pending"],
        "debits_posted": row["debits_posted"],
        "credits_pending": row["credits_pending"],
        "credits_posted": row["credits_posted"],
        # Credit-normal: what is left to reserve (budget) or what is owed (payable).
        "available_fen": row["credits_posted"] - row["debits_posted"] - row["debits_pending"],
    }


_INVARIANT_BALANCES = text(
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

_INVARIANT_RESOLUTIONS = text(
    """
    SELECT r.id FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
    WHERE p.phase <> 'pending' OR p.amount_fen <> r.amount_fen
       OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id
    """
)


async def check_invariants(session: AsyncSession) -> dict[str, Any]:
    totals = (
        await session.execute(
            text(
                "SELECT coalesce(sum(debits_posted), 0) AS dq, coalesce(sum(credits_posted), 0) AS cq, "
                "coalesce(sum(debits_pending), 0) AS dp, coalesce(sum(credits_pending), 0) AS cp, count(*) AS n "
                "FROM ledger_accounts"
            )
        )
    ).one()
    transfers = (await session.execute(text("SELECT count(*) FROM ledger_transfers"))).scalar_one()
    mismatched = (await session.execute(_INVARIANT_BALANCES)).mappings().all()
    bad_resolutions = (await session.execute(_INVARIANT_RESOLUTIONS)).scalars().all()
    overdrawn = (
        (
            await session.execute(
                text(
                    "SELECT code FROM ledger_accounts WHERE must_not_overdraw AND "
                    "credits_posted - debits_posted - debits_pending < 0"
                )
            )
        )
        .scalars()
        .all()
    )
    checks = {
        "debits_equal_credits_posted": totals.dq == totals.cq,
        "debits_equal_credits_pending": totals.dp == totals.cp,
        "balances_equal_sum_of_transfers": not mismatched,
        "resolutions_match_pending": not bad_resolutions,
        "no_budget_below_zero": not overdrawn,
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "accounts": totals.n,
        "transfers": transfers,
        "total_debits_posted_fen": int(totals.dq),
        "total_credits_posted_fen": int(totals.cq),
        "total_debits_pending_fen": int(totals.dp),
        "total_credits_pending_fen": int(totals.cp),
        "mismatched_accounts": [
            {
                "code": m["code"],
                "stored": [
                    m["debits_pending"],
                    m["debits_posted"],
                    m["credits_pending"],
                    m["credits_posted"],
                ],
                "from_transfers": [int(m["dp"]), int(m["dq"]), int(m["cp"]), int(m["cq"])],
            }
            for m in mismatched[:50]
        ],
        "bad_resolutions": [str(x) for x in bad_resolutions[:50]],
        "overdrawn_accounts": list(overdrawn[:50]),
    }
