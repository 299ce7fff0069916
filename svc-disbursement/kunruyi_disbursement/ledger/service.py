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

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.ledger import repository
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
    await repository.insert_account(
        session,
        {
            "id": acct,
            "code": code,
            "kind": kind,
            "policy_code": attrs.get("policy_code"),
            "fiscal_year": attrs.get("fiscal_year"),
            "entity_type": attrs.get("entity_type"),
            "entity_id": attrs.get("entity_id"),
            "must_not_overdraw": kind == "budget",
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


async def lock_accounts(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Lock ``ids`` in one statement, in id order — before a transaction's first balance change.

    The lock order of every money path: policy rows → disbursement rows (by id, or SKIP LOCKED) → ledger accounts,
    ALL the transaction will touch, here, in id order → the audit chain head (at commit, see ``audit.service``).
    A transaction that changes several transfers' accounts locks their union here first; a single transfer locks its
    two accounts in id order itself (``repository.CREATE_TRANSFER``). Locking again what the transaction holds never waits."""
    rows = await repository.lock_accounts(session, ids)
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
        row = await repository.create_transfer(session, params)
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
    existing = await repository.get_transfer(session, transfer.id)
    if not transfer.same_fields(existing):
        raise TransferConflict(f"转账 {transfer.id} 已存在且内容不同")
    return False


async def resolve_pending(
    session: AsyncSession, pending_id: uuid.UUID, phase: Literal["post", "void"]
) -> bool:
    pending = await repository.get_pending_transfer(session, pending_id)
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
    row = await repository.account_by_code(session, code)
    if row is None:
        return None
    return account_view(row)


def account_view(row: Any) -> dict[str, Any]:
    """An account row as :class:`~kunruyi_disbursement.ledger.schemas.AccountRead` describes it."""
    return {
        "id": str(row.id),
        "code": row.code,
        "kind": row.kind,
        "policy_code": row.policy_code,
        "fiscal_year": row.fiscal_year,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "debits_pending": row.debits_pending,
        "debits_posted": row.debits_posted,
        "credits_pending": row.credits_pending,
        "credits_posted": row.credits_posted,
        # Credit-normal: what is left to reserve (budget) or what is owed (payable).
        "available_fen": row.credits_posted - row.debits_posted - row.debits_pending,
    }


async def check_invariants(session: AsyncSession) -> dict[str, Any]:
    """The ledger's invariants (:class:`~kunruyi_disbursement.ledger.schemas.InvariantsReport`)."""
    totals = await repository.totals(session)
    transfers = await repository.count_transfers(session)
    mismatched = await repository.mismatched_balances(session)
    bad_resolutions = await repository.bad_resolutions(session)
    overdrawn = await repository.overdrawn_accounts(session)
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
