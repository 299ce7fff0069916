"""Applying what the bank says about a payment (callback or poll) to the disbursement and the ledger.

Every bank update carries a per-payment ``sequence``; an update whose sequence is not above the last one applied
is a duplicate or arrived out of order and changes nothing. settled → post the reservation and move the money
from the payable to the bank clearing account; failed → void the reservation; returned → void it (not yet
settled here) or reverse the settlement with compensating transfers.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Literal

from kunruyi_common.events.outbox import Staged, add_event, add_events
from kunruyi_common.inputs import INT4_MAX, INT8_MAX, unstorable
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.applications.workflow import mark_paid
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.disbursements.batch import apply_account_deltas, insert_transfers
from kunruyi_disbursement.events import PaymentFailed, PaymentSettled
from kunruyi_disbursement.health_checks import observe_settled
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.payments import repository

logger = logging.getLogger("kunruyi.disbursement.settlement")

Outcome = Literal["applied", "stale", "not_found", "ignored", "amount_mismatch"]
IN_FLIGHT = ("instructing", "instructed")


class BankUpdate(BaseModel):
    """One update as the bank reports it. Everything in it fits the columns it is written to (``bank_sequence`` and
    ``bank_callbacks.sequence`` are int4, amounts int8, text without NUL, a settlement time a UTC instant can hold —
    one without a zone is read as UTC; a long failure reason is cut to 500 characters): anything else is a malformed
    callback (422 ``invalid_callback``), refused before anything is written, never a 500 from the driver."""

    reference: str = Field(min_length=1, max_length=64)
    status: Literal["accepted", "settled", "failed", "returned"]
    sequence: int = Field(ge=0, le=INT4_MAX)
    amount_fen: int | None = Field(None, ge=0, le=INT8_MAX)
    settled_at: datetime | None = None
    failure_reason: str | None = None
    event_id: str | None = Field(None, max_length=200)

    @field_validator("reference", "failure_reason", "event_id")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        if value is not None and unstorable(value):
            raise ValueError("含有无法保存的字符（空字符或无效的 Unicode）")
        return value

    @field_validator("failure_reason")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        return value[:500] if value is not None else None

    @field_validator("settled_at")
    @classmethod
    def _instant(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # the contract's times are UTC
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("settled_at 超出可表示的范围") from None


async def apply_bank_update(session: AsyncSession, update: BankUpdate, *, source: str) -> Outcome:
    try:
        reference = uuid.UUID(update.reference)
    except ValueError:
        reference = None
    d = None
    if reference is not None:
        d = await repository.lock_by_reference(session, reference)
    if d is None:
        superseded = None
        if reference is not None:
            superseded = await repository.superseded(session, reference)
        if superseded is None:
            logger.warning("bank update for unknown reference %s via %s", update.reference, source)
            return "not_found"
        # A payment that failed or came back and was issued again under a new reference: nothing to change. A
        # settlement reported for it now would be a bank-side error (reconciliation reports it): said loudly.
        log = logger.error if update.status == "settled" else logger.warning
        log(
            "bank update %s for superseded reference %s (disbursement %s) via %s: ignored",
            update.status,
            update.reference,
            superseded.disbursement_id,
            source,
        )
        await _record_callback(session, update, source, "stale")
        return "stale"
    outcome = await _apply(session, d, update, source)
    await _record_callback(session, update, source, outcome)
    return outcome


async def _record_callback(session: AsyncSession, update: BankUpdate, source: str, outcome: Outcome) -> None:
    await repository.record_callback(
        session,
        {
            "reference": update.reference,
            "bank_event_id": update.event_id or source,
            "status": update.status,
            "sequence": update.sequence,
            "amount_fen": update.amount_fen,
            "outcome": outcome,
        },
    )


async def _apply(session: AsyncSession, d: Any, update: BankUpdate, source: str) -> Outcome:
    if update.sequence <= d.bank_sequence:
        return "stale"
    actor = f"bank:{source}"
    if update.amount_fen is not None and update.amount_fen != d.amount_fen:
        logger.error(
            "bank reports %s %s fen for %s, the ledger reserved %s",
            update.status,
            update.amount_fen,
            d.reservation_id,
            d.amount_fen,
        )
        if update.status == "settled" and d.status in IN_FLIGHT:
            # Never book a settlement of an amount other than the one instructed: the payment stays in flight
            # (visible, with the error) until the bank reports the instructed amount or a person sorts it out.
            await repository.set_last_error_of(
                session,
                d.id,
                f"bank reported settlement of {update.amount_fen} fen, instructed {d.amount_fen}",
            )
            await audit.append(
                session,
                actor=actor,
                action="payment.amount_mismatch",
                entity_type="disbursement",
                entity_id=str(d.id),
                data={
                    "reference": str(d.reservation_id),
                    "instructed_fen": d.amount_fen,
                    "bank_reported_fen": update.amount_fen,
                },
            )
            return "amount_mismatch"
    if update.status == "accepted":
        await _set(session, d, status=d.status if d.status != "instructing" else "instructed", bank=update)
        return "applied"
    if update.status == "settled":
        if d.status not in IN_FLIGHT:
            await _set(session, d, status=d.status, bank=update)
            return "ignored"
        settled_at = update.settled_at or datetime.now(UTC)
        clearing = await ledger.ensure_account(session, ledger.CLEARING_ACCOUNT, "clearing")
        await ledger.lock_accounts(session, accounts_touched([d]))
        await ledger.resolve_pending(session, d.reservation_id, "post")
        await ledger.create_transfer(
            session,
            ledger.Transfer(
                id=ledger.derived_transfer_id(d.reservation_id, "payout"),
                debit_account_id=ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id)),
                credit_account_id=clearing,
                amount_fen=d.amount_fen,
                phase="single",
                cause_type="entitlement" if d.entitlement_id else "application",
                cause_id=d.entitlement_id or str(d.application_id),
                rule_version=d.policy_version,
                memo=f"payout {d.reservation_id}",
            ),
        )
        row = await _set(session, d, status="settled", bank=update, settled_at=settled_at)
        observe_settled(d, settled_at)
        if d.application_id is not None:
            await mark_paid(session, d.application_id)
        await add_event(session, "disbursement", PaymentSettled(**_event_fields(row)), subject=str(d.id))
        await audit.append(
            session,
            actor=actor,
            action="payment.settled",
            entity_type="disbursement",
            entity_id=str(d.id),
            data={
                "reference": str(d.reservation_id),
                "amount_fen": d.amount_fen,
                "settled_at": settled_at.isoformat(),
            },
        )
        return "applied"
    # failed or returned
    reason = update.failure_reason or ("银行退回" if update.status == "returned" else "银行支付失败")
    if d.status in IN_FLIGHT:
        await ledger.lock_accounts(session, accounts_touched([d]))
        await ledger.resolve_pending(session, d.reservation_id, "void")
        action = "payment.voided"
    elif d.status == "settled" and update.status == "returned":
        await ledger.lock_accounts(session, accounts_touched([d]))
        await _reverse_settlement(session, d)
        action = "payment.returned"
    else:
        await _set(session, d, status=d.status, bank=update)
        return "ignored"
    status = "failed" if update.status == "failed" else "returned"
    row = await _set(session, d, status=status, bank=update, failure_reason=reason)
    await add_event(session, "disbursement", PaymentFailed(**_event_fields(row)), subject=str(d.id))
    await audit.append(
        session,
        actor=actor,
        action=action,
        entity_type="disbursement",
        entity_id=str(d.id),
        data={"reference": str(d.reservation_id), "amount_fen": d.amount_fen, "reason": reason},
    )
    return "applied"


def accounts_touched(rows: list[Any]) -> set[uuid.UUID]:
    """Every ledger account applying a bank update to ``rows`` may touch: budget, payable and bank clearing — locked
    together, in id order, before the first change (the lock order of every money path, see ``ledger.lock_accounts``)."""
    ids = {ledger.account_id(ledger.CLEARING_ACCOUNT)}
    for d in rows:
        ids.add(ledger.account_id(ledger.budget_code(d.policy_code, d.fiscal_year)))
        ids.add(ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id)))
    return ids


async def _reverse_settlement(session: AsyncSession, d: Any) -> None:
    payable = ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id))
    budget = ledger.account_id(ledger.budget_code(d.policy_code, d.fiscal_year))
    cause_type = "entitlement" if d.entitlement_id else "application"
    cause_id = d.entitlement_id or str(d.application_id)
    for purpose, debit, credit in (
        ("return_in", ledger.account_id(ledger.CLEARING_ACCOUNT), payable),
        ("return_budget", payable, budget),
    ):
        await ledger.create_transfer(
            session,
            ledger.Transfer(
                id=ledger.derived_transfer_id(d.reservation_id, purpose),
                debit_account_id=debit,
                credit_account_id=credit,
                amount_fen=d.amount_fen,
                phase="single",
                cause_type=cause_type,
                cause_id=cause_id,
                rule_version=d.policy_version,
                memo=f"{purpose} {d.reservation_id}",
            ),
        )


async def _set(
    session: AsyncSession,
    d: Any,
    *,
    status: str,
    bank: BankUpdate,
    settled_at: datetime | None = None,
    failure_reason: str | None = None,
) -> Any:
    return await repository.apply_bank_status(
        session,
        d.id,
        status=status,
        bank_status=bank.status,
        bank_sequence=bank.sequence,
        settled_at=settled_at,
        failure_reason=failure_reason,
    )


def _event_fields(d: Any) -> dict[str, Any]:
    return {
        "disbursement_id": str(d.id),
        "policy_code": d.policy_code,
        "entity_type": d.entity_type,
        "entity_id": d.entity_id,
        "amount_fen": d.amount_fen,
        "mode": d.mode,
        "bank_reference": str(d.reservation_id),
        "settled_at": d.settled_at,
    }


async def apply_bank_updates(
    session: AsyncSession, updates: list[BankUpdate], *, source: str
) -> list[Outcome]:
    """Apply a batch of bank updates. The common case — first settlement of a payment in flight — is applied
    set-based; everything else (failures, returns, stale or repeated updates, unknown references) goes through
    :func:`apply_bank_update` one by one, in order, in the same transaction."""

    refs: dict[uuid.UUID, int] = {}
    for u in updates:
        try:
            ref = uuid.UUID(u.reference)
        except ValueError:
            continue
        refs[ref] = refs.get(ref, 0) + 1
    rows = {r.reservation_id: r for r in await repository.lock_by_references(session, list(refs))}
    fast: list[tuple[int, BankUpdate, Any]] = []
    slow: list[tuple[int, BankUpdate]] = []
    for i, u in enumerate(updates):
        d = rows.get(_as_uuid(u.reference))
        if (
            d is not None
            and refs.get(d.reservation_id) == 1
            and u.status == "settled"
            and d.status in IN_FLIGHT
            and u.sequence > d.bank_sequence
            and d.application_id is None
            and (u.amount_fen is None or u.amount_fen == d.amount_fen)
        ):
            fast.append((i, u, d))
        else:
            slow.append((i, u))
    outcomes: list[Outcome] = ["applied"] * len(updates)
    # All the accounts the whole batch may touch, in one statement, before its first change: the updates applied one
    # by one below would otherwise lock each payment's accounts in turn, out of id order.
    moving = [
        d for u in updates if u.status != "accepted" and (d := rows.get(_as_uuid(u.reference))) is not None
    ]
    if moving:
        await ledger.ensure_account(session, ledger.CLEARING_ACCOUNT, "clearing")
        await ledger.lock_accounts(session, accounts_touched(moving))
    if fast:
        await _settle_many(session, [(u, d) for _, u, d in fast], source)
    for i, u in slow:
        outcomes[i] = await apply_bank_update(session, u, source=source)
    return outcomes


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _settle_many(session: AsyncSession, items: list[tuple[BankUpdate, Any]], source: str) -> None:
    clearing = await ledger.ensure_account(session, ledger.CLEARING_ACCOUNT, "clearing")
    deltas: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    transfers: list[ledger.Transfer] = []
    now = datetime.now(UTC)
    for _update, d in items:
        budget = ledger.account_id(ledger.budget_code(d.policy_code, d.fiscal_year))
        payable = ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id))
        cause_type, cause_id = (
            ("entitlement", d.entitlement_id) if d.entitlement_id else ("application", str(d.application_id))
        )
        transfers.append(
            ledger.Transfer(
                id=ledger.derived_transfer_id(d.reservation_id, "post"),
                debit_account_id=budget,
                credit_account_id=payable,
                amount_fen=d.amount_fen,
                phase="post",
                pending_id=d.reservation_id,
                cause_type=cause_type,
                cause_id=cause_id,
                rule_version=d.policy_version,
                memo=f"post of {d.reservation_id}",
            )
        )
        transfers.append(
            ledger.Transfer(
                id=ledger.derived_transfer_id(d.reservation_id, "payout"),
                debit_account_id=payable,
                credit_account_id=clearing,
                amount_fen=d.amount_fen,
                phase="single",
                cause_type=cause_type,
                cause_id=cause_id,
                rule_version=d.policy_version,
                memo=f"payout {d.reservation_id}",
            )
        )
        a = d.amount_fen
        deltas[budget][0] -= a
        deltas[budget][1] += a
        deltas[payable][2] -= a
        deltas[payable][3] += a
        deltas[payable][1] += a
        deltas[clearing][3] += a
    await ledger.lock_accounts(session, set(deltas))
    await insert_transfers(session, transfers)
    await apply_account_deltas(session, deltas)
    settled_at = [u.settled_at or now for u, _ in items]
    updated = await repository.settle_many(
        session, {"id": [d.id for _, d in items], "q": [u.sequence for u, _ in items], "at": settled_at}
    )
    await repository.record_settled_callbacks(
        session,
        {
            "r": [u.reference for u, _ in items],
            "e": [u.event_id or source for u, _ in items],
            "q": [u.sequence for u, _ in items],
            "a": [u.amount_fen for u, _ in items],
        },
    )
    await add_events(
        session,
        "disbursement",
        [Staged(PaymentSettled(**_event_fields(row)), subject=str(row.id)) for row in updated],
    )
    await audit.append_many(
        session,
        [
            {
                "actor": f"bank:{source}",
                "action": "payment.settled",
                "entity_type": "disbursement",
                "entity_id": str(row.id),
                "data": {
                    "reference": str(row.reservation_id),
                    "amount_fen": row.amount_fen,
                    "settled_at": row.settled_at.isoformat(),
                },
            }
            for row in updated
        ],
    )
