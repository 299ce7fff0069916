"""Set-based 免申即享 intake: a batch of entitlements becomes disbursements and reservations in a few statements.

Same ledger effects as :func:`disbursements.service.reserve`, one statement per kind of row instead of one per
disbursement. The budget limit is still the database's: the budget rows are locked, the reservations that fit are
chosen in order, and the single UPDATE of the balances is checked by the CHECK constraint — were the choice ever
wrong, the whole batch would fail rather than overdraw.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.disbursements import repository
from kunruyi_disbursement.disbursements.service import EntitlementDetermined, approval_hold
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.policies.schemas import PolicyData
from kunruyi_disbursement.policies.service import fiscal_year_of, upsert_policy


async def ensure_accounts(session: AsyncSession, accounts: dict[str, dict[str, Any]]) -> None:
    """``accounts``: code → attributes (kind, policy_code, fiscal_year, entity_type, entity_id)."""
    if not accounts:
        return
    codes = sorted(accounts)
    attrs = [accounts[c] for c in codes]
    await repository.insert_accounts(
        session,
        {
            "id": [ledger.account_id(c) for c in codes],
            "code": codes,
            "kind": [a["kind"] for a in attrs],
            "pc": [a.get("policy_code") for a in attrs],
            "fy": [a.get("fiscal_year") for a in attrs],
            "et": [a.get("entity_type") for a in attrs],
            "eid": [a.get("entity_id") for a in attrs],
        },
    )


async def apply_account_deltas(session: AsyncSession, deltas: dict[uuid.UUID, list[int]]) -> None:
    """``deltas``: account id → [debits_pending, debits_posted, credits_pending, credits_posted] increments."""
    ids = sorted(deltas)
    await repository.apply_account_deltas(
        session,
        {
            "id": ids,
            "dp": [deltas[i][0] for i in ids],
            "dq": [deltas[i][1] for i in ids],
            "cp": [deltas[i][2] for i in ids],
            "cq": [deltas[i][3] for i in ids],
        },
    )


async def insert_transfers(session: AsyncSession, transfers: list[ledger.Transfer]) -> None:
    if not transfers:
        return
    await repository.insert_transfers(
        session,
        {
            "id": [t.id for t in transfers],
            "d": [t.debit_account_id for t in transfers],
            "c": [t.credit_account_id for t in transfers],
            "a": [t.amount_fen for t in transfers],
            "ph": [t.phase for t in transfers],
            "p": [t.pending_id for t in transfers],
            "ct": [t.cause_type for t in transfers],
            "ci": [t.cause_id for t in transfers],
            "rv": [t.rule_version for t in transfers],
            "m": [t.memo for t in transfers],
        },
    )


def _period_key(i: EntitlementDetermined) -> tuple[str, str, str, str]:
    return (i.policy_code, i.entity_type, i.entity_id, i.period)


async def intake_entitlements(
    session: AsyncSession, items: list[EntitlementDetermined], *, auto_approve_max_fen: int
) -> dict[str, int]:
    if not items:
        return {"created": 0, "reserved": 0, "awaiting_budget": 0, "pending_approval": 0}
    codes = sorted({i.policy_code for i in items})
    policies = await repository.policies_by_code(session, codes)
    for item in items:
        if item.policy_code not in policies:
            await upsert_policy(
                session,
                PolicyData(
                    code=item.policy_code,
                    title=item.policy_title or item.policy_code,
                    department=item.department,
                    mode="automatic",
                    version=item.version,
                ),
            )
            policies.update(await repository.policies_by_code(session, [item.policy_code]))
    # a supplement (补充认定) is held when, with what the period already holds for the policy, it would pass the cap
    held = await repository.held_in_periods(
        session, sorted({_period_key(i) for i in items if i.sequence > 0})
    )
    holds: dict[str, str | None] = {}
    for i in sorted(items, key=lambda i: i.sequence):
        already = held.get(_period_key(i), 0) if i.sequence > 0 else 0
        holds[i.entitlement_id] = approval_hold(
            policies[i.policy_code], i.amount_fen, auto_approve_max_fen, already
        )
        held[_period_key(i)] = held.get(_period_key(i), 0) + i.amount_fen
    auto = [holds[i.entitlement_id] is None for i in items]
    created = await repository.insert_automatic(
        session,
        {
            "id": [uuid.uuid4() for _ in items],
            "pc": [i.policy_code for i in items],
            "pv": [i.version for i in items],
            "dept": [i.department or policies[i.policy_code].department for i in items],
            "dist": [policies[i.policy_code].district for i in items],
            "et": [i.entity_type for i in items],
            "eid": [i.entity_id for i in items],
            "period": [i.period for i in items],
            "fy": [fiscal_year_of(i.period) for i in items],
            "amount": [i.amount_fen for i in items],
            "ent": [i.entitlement_id for i in items],
            "rid": [uuid.uuid4() for _ in items],
            "auto": auto,
            "seq": [i.sequence for i in items],
            "sup": [i.supplement_of for i in items],
        },
    )
    created = sorted(created, key=lambda d: (d.created_at, d.entitlement_id))
    to_reserve = [d for d in created if d.approved_by is not None]
    entries: list[dict[str, Any]] = [
        {
            "actor": None,
            "action": "disbursement.queued_for_approval",
            "entity_type": "disbursement",
            "entity_id": str(d.id),
            "data": {
                "amount_fen": d.amount_fen,
                "policy_code": d.policy_code,
                "cause": {"type": "entitlement", "id": d.entitlement_id, "rule_version": d.policy_version},
                "hold": holds.get(d.entitlement_id),
            },
        }
        for d in created
        if d.approved_by is None
    ]
    accounts: dict[str, dict[str, Any]] = {}
    for d in to_reserve:
        accounts[ledger.budget_code(d.policy_code, d.fiscal_year)] = {
            "kind": "budget",
            "policy_code": d.policy_code,
            "fiscal_year": d.fiscal_year,
        }
        accounts[ledger.payable_code(d.entity_type, d.entity_id)] = {
            "kind": "payable",
            "entity_type": d.entity_type,
            "entity_id": d.entity_id,
        }
    await ensure_accounts(session, accounts)
    # Budgets and payables in one statement, in id order (the lock order of every money path).
    locked = await ledger.lock_accounts(session, {ledger.account_id(c) for c in accounts})
    available = {
        i: r.credits_posted - r.debits_posted - r.debits_pending
        for i, r in locked.items()
        if r.kind == "budget"
    }
    deltas: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    transfers: list[ledger.Transfer] = []
    reserved_ids: list[uuid.UUID] = []
    waiting_ids: list[uuid.UUID] = []
    for d in to_reserve:
        budget = ledger.account_id(ledger.budget_code(d.policy_code, d.fiscal_year))
        if available[budget] < d.amount_fen:
            waiting_ids.append(d.id)
            entries.append(
                {
                    "actor": "system:auto",
                    "action": "disbursement.awaiting_budget",
                    "entity_type": "disbursement",
                    "entity_id": str(d.id),
                    "data": {
                        "amount_fen": d.amount_fen,
                        "budget": ledger.budget_code(d.policy_code, d.fiscal_year),
                    },
                }
            )
            continue
        available[budget] -= d.amount_fen
        payable = ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id))
        transfers.append(
            ledger.Transfer(
                id=d.reservation_id,
                debit_account_id=budget,
                credit_account_id=payable,
                amount_fen=d.amount_fen,
                phase="pending",
                cause_type="entitlement",
                cause_id=d.entitlement_id,
                rule_version=d.policy_version,
                memo=f"reserve disbursement {d.id}",
            )
        )
        deltas[budget][0] += d.amount_fen
        deltas[payable][2] += d.amount_fen
        reserved_ids.append(d.id)
        entries.append(
            {
                "actor": "system:auto",
                "action": "ledger.reserved",
                "entity_type": "disbursement",
                "entity_id": str(d.id),
                "data": {
                    "transfer_id": str(d.reservation_id),
                    "amount_fen": d.amount_fen,
                    "budget": ledger.budget_code(d.policy_code, d.fiscal_year),
                    "cause": {
                        "type": "entitlement",
                        "id": d.entitlement_id,
                        "rule_version": d.policy_version,
                    },
                },
            }
        )
    await insert_transfers(session, transfers)
    if deltas:
        await apply_account_deltas(session, deltas)
    if reserved_ids:
        await repository.set_status_many(session, reserved_ids, status="reserved", reserved_at=func.now())
    if waiting_ids:
        await repository.set_status_many(session, waiting_ids, status="awaiting_budget")
    await audit.append_many(session, entries)
    return {
        "created": len(created),
        "reserved": len(reserved_ids),
        "awaiting_budget": len(waiting_ids),
        "pending_approval": len(created) - len(to_reserve),
    }
