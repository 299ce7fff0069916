"""Disbursements: one payment owed to one beneficiary for one (policy, period), from 免申即享 or an application.

Life cycle: pending_approval → (approved) → reserved | awaiting_budget → instructing → instructed → settled,
or failed / returned (the reservation voided or reversed). ``awaiting_budget`` is retried whenever the budget is
topped up (in the top-up's unit of work) and by the payment worker's periodic sweep (a transaction per budget).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, get_args

from kunruyi_common.auth import Principal
from kunruyi_common.errors import InvalidTransition
from kunruyi_common.pagination import decode_keyset, keyset_cursor
from pydantic import BaseModel, Field
from sqlalchemy import func, null
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_department, visible_departments
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.directory import service as directory
from kunruyi_disbursement.disbursements import repository
from kunruyi_disbursement.disbursements.exceptions import DisbursementNotFound
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.policies.service import fiscal_year_of

Status = Literal[
    "pending_approval",
    "awaiting_budget",
    "reserved",
    "instructing",
    "instructed",
    "settled",
    "failed",
    "returned",
    "rejected",
]
STATUSES: tuple[str, ...] = get_args(Status)


class EntitlementDetermined(BaseModel):
    """``data`` of kunruyi.policy.entitlement.determined (svc-policy's contract)."""

    entitlement_id: str = Field(min_length=1, max_length=64)
    policy_code: str = Field(min_length=1, max_length=64)
    policy_title: str | None = None
    department: str | None = None
    version: int = 1
    period: str = Field(min_length=4, max_length=16)
    entity_type: Literal["enterprise", "talent"]
    entity_id: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(gt=0)
    mode: str = "automatic"
    trace_digest: str | None = None
    # 补充认定 (svc-policy): n ≥ 1 a supplement of ``supplement_of`` for loans closed after the period's
    # entitlement, with its own entitlement id — its own disbursement, paid once
    sequence: int = Field(0, ge=0)
    supplement_of: str | None = Field(None, max_length=64)
    loan_keys: list[str] | None = None


def approval_hold(
    policy: Any, amount_fen: int, auto_approve_max_fen: int, already_fen: int = 0
) -> str | None:
    """Why a 免申即享 entitlement must wait for an approver instead of being paid automatically (None: it need not).

    Paid without a person only when nothing is unusual: at most the auto-approval limit, within the policy's cap
    (with a supplement: together with what the period's earlier disbursements of the policy already hold,
    ``already_fen``), and the policy still in force (an entitlement determined before a suspension may arrive
    after it)."""
    if amount_fen > auto_approve_max_fen:
        return "over_auto_approve_limit"
    if policy.max_amount_fen is not None and already_fen + amount_fen > policy.max_amount_fen:
        return "over_policy_cap"
    if policy.status not in ("published", "active"):
        return "policy_not_in_force"
    return None


async def create_disbursement(
    session: AsyncSession,
    *,
    mode: Literal["automatic", "application"],
    policy_code: str,
    policy_version: int | None,
    department: str | None,
    district: str | None,
    entity_type: str,
    entity_id: str,
    period: str,
    amount_fen: int,
    entitlement_id: str | None = None,
    application_id: uuid.UUID | None = None,
    approved_by: str | None = None,
    needs_approval: bool = False,
    fiscal_year: int | None = None,
    sequence: int = 0,
    supplement_of: str | None = None,
) -> Any | None:
    """Insert the disbursement (None if one exists for this policy, entity, period and sequence — a supplement of
    an entitlement, 补充认定, has sequence ≥ 1) and reserve its budget
    unless it waits for an approver. ``fiscal_year`` (the budget year) defaults to the period's year; a program's
    funding tranche names it, its period being the tranche (``<agreement id>-T<n>``)."""
    approver = None if needs_approval else approved_by
    row = await repository.insert_disbursement(
        session,
        {
            "id": uuid.uuid4(),
            "mode": mode,
            "policy_code": policy_code,
            "policy_version": policy_version,
            "department": department,
            "district": district,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "period": period,
            "fiscal_year": fiscal_year if fiscal_year is not None else fiscal_year_of(period),
            "amount_fen": amount_fen,
            "entitlement_id": entitlement_id,
            "application_id": application_id,
            "status": "pending_approval",
            "reservation_id": uuid.uuid4(),
            "approved_by": approver,
            "approved_at": None if approver is None else func.now(),
            "sequence": sequence,
            "supplement_of": supplement_of,
        },
    )
    if row is None:
        return None
    if needs_approval:
        await audit.append(
            session,
            actor=approved_by,
            action="disbursement.queued_for_approval",
            entity_type="disbursement",
            entity_id=str(row.id),
            data={"amount_fen": amount_fen, "policy_code": policy_code, "cause": _cause(row)},
        )
        return row
    return await reserve(session, row, actor=approved_by)


def _cause(d: Any) -> dict[str, Any]:
    if d.entitlement_id:
        return {"type": "entitlement", "id": d.entitlement_id, "rule_version": d.policy_version}
    if d.application_id is None:  # a program's funding tranche: its period names the agreement and tranche
        return {"type": "funding_tranche", "id": d.period, "rule_version": d.policy_version}
    return {"type": "application", "id": str(d.application_id), "rule_version": d.policy_version}


async def reserve(session: AsyncSession, d: Any, *, actor: str | None) -> Any:
    """Reserve the budget for ``d`` (a pending transfer budget → payable) or park it as awaiting_budget."""
    budget = await ledger.ensure_budget_account(session, d.policy_code, d.fiscal_year)
    payable = await ledger.ensure_account(
        session,
        ledger.payable_code(d.entity_type, d.entity_id),
        "payable",
        entity_type=d.entity_type,
        entity_id=d.entity_id,
    )
    cause = _cause(d)
    transfer = ledger.Transfer(
        id=d.reservation_id,
        debit_account_id=budget,
        credit_account_id=payable,
        amount_fen=d.amount_fen,
        phase="pending",
        cause_type=cause["type"],
        cause_id=cause["id"],
        rule_version=d.policy_version,
        memo=f"reserve disbursement {d.id}",
    )
    try:
        async with session.begin_nested():
            await ledger.create_transfer(session, transfer)
    except ledger.BudgetExceeded:
        row = await repository.update_returning(session, d.id, status="awaiting_budget")
        if d.status != "awaiting_budget":
            await audit.append(
                session,
                actor=actor,
                action="disbursement.awaiting_budget",
                entity_type="disbursement",
                entity_id=str(d.id),
                data={"amount_fen": d.amount_fen, "budget": ledger.budget_code(d.policy_code, d.fiscal_year)},
            )
        return row
    row = await repository.mark_reserved(session, d.id, actor)
    await audit.append(
        session,
        actor=actor,
        action="ledger.reserved",
        entity_type="disbursement",
        entity_id=str(d.id),
        data={
            "transfer_id": str(d.reservation_id),
            "amount_fen": d.amount_fen,
            "budget": ledger.budget_code(d.policy_code, d.fiscal_year),
            "cause": cause,
        },
    )
    return row


async def _locked_for(
    session: AsyncSession, disbursement_id: uuid.UUID, principal: Principal | None, action: str
) -> Any:
    """The disbursement, locked, once ``principal`` may act for its policy's department (admins aside)."""
    return await _of_department(session, disbursement_id, principal, action, lock=True)


async def _of_department(
    session: AsyncSession, disbursement_id: uuid.UUID, principal: Principal | None, action: str, *, lock: bool
) -> Any:
    d = await repository.with_department(session, disbursement_id, lock=lock)
    if d is None:
        raise DisbursementNotFound("拨付记录不存在")
    ensure_department(
        principal,
        d.policy_department,
        entity_type="disbursement",
        entity_id=str(d.id),
        action=f"disbursement.{action}",
    )
    return d


async def approve(
    session: AsyncSession, disbursement_id: uuid.UUID, actor: str, principal: Principal | None = None
) -> Any:
    d = await _locked_for(session, disbursement_id, principal, "approve")
    if d.status != "pending_approval":
        raise InvalidTransition(
            f"当前状态为 {d.status}，只有待审批的拨付可以审批",
            allowed_next=[],
            current_status=d.status,
        )
    await repository.set_values(session, d.id, approved_by=actor, approved_at=func.now())
    return await reserve(session, d, actor=actor)


async def reject(
    session: AsyncSession,
    disbursement_id: uuid.UUID,
    actor: str,
    reason: str,
    principal: Principal | None = None,
) -> Any:
    d = await _locked_for(session, disbursement_id, principal, "reject")
    if d.status not in ("pending_approval", "awaiting_budget"):
        raise InvalidTransition(f"当前状态为 {d.status}，不能驳回", current_status=d.status)
    row = await repository.update_returning(session, d.id, status="rejected", failure_reason=reason)
    await audit.append(
        session,
        actor=actor,
        action="disbursement.rejected",
        entity_type="disbursement",
        entity_id=str(d.id),
        data={"reason": reason},
    )
    return row


async def reissue(
    session: AsyncSession,
    disbursement_id: uuid.UUID,
    actor: str,
    comment: str,
    principal: Principal | None = None,
) -> Any:
    """Pay a failed or returned disbursement again: the money is still owed. Its reservation was voided (failed) or
    reversed (returned), so the budget is reserved anew under a new reservation id — the new bank reference — and
    the payee is chosen afresh at the next instruction (typically after the account was corrected). The old
    reference is kept in ``superseded_payments``."""
    d = await _locked_for(session, disbursement_id, principal, "reissue")
    if d.status not in ("failed", "returned"):
        raise InvalidTransition(
            f"当前状态为 {d.status}，只有支付失败或被退回的拨付可以重新支付",
            allowed_next=[],
            current_status=d.status,
        )
    new_reference = uuid.uuid4()
    await repository.insert_superseded(
        session,
        {
            "reference": d.reservation_id,
            "disbursement_id": d.id,
            "status": d.status,
            "failure_reason": d.failure_reason,
            "bank_sequence": d.bank_sequence,
            "superseded_by": new_reference,
            "actor": actor,
            "comment": comment,
        },
    )
    row = await repository.update_returning(
        session,
        d.id,
        reservation_id=new_reference,
        reserved_at=None,
        instruction_sent_at=None,
        instruction_attempts=0,
        next_attempt_at=None,
        instruction_payee=null(),  # SQL NULL: a Python None would be stored as the JSON null
        payee_id=None,
        bank_accepted_at=None,
        bank_sequence=0,
        bank_status=None,
        settled_at=None,
        failure_reason=None,
        last_error=None,
    )
    await audit.append(
        session,
        actor=actor,
        action="disbursement.reissued",
        entity_type="disbursement",
        entity_id=str(d.id),
        data={
            "previous_reference": str(d.reservation_id),
            "previous_status": d.status,
            "previous_failure_reason": d.failure_reason,
            "reference": str(new_reference),
            "amount_fen": d.amount_fen,
            "comment": comment,
        },
    )
    return await reserve(session, row, actor=actor)


async def claim_awaiting(
    session: AsyncSession,
    *,
    policy_code: str | None = None,
    fiscal_year: int | None = None,
    limit: int = 500,
    skip_locked: bool = True,
) -> list[Any]:
    """Lock the disbursements parked for lack of budget, oldest first. The sweep skips rows another transaction
    holds; a top-up waits for them (a sweep trying them against the old balance), so it resumes every one it can."""
    return await repository.claim_awaiting(
        session, policy_code=policy_code, fiscal_year=fiscal_year, limit=limit, skip_locked=skip_locked
    )


def accounts_of(rows: list[Any]) -> set[uuid.UUID]:
    """The ledger accounts reserving ``rows`` touches: their budgets and payables."""
    ids: set[uuid.UUID] = set()
    for d in rows:
        ids.add(ledger.account_id(ledger.budget_code(d.policy_code, d.fiscal_year)))
        ids.add(ledger.account_id(ledger.payable_code(d.entity_type, d.entity_id)))
    return ids


async def reserve_parked(session: AsyncSession, rows: list[Any], *, actor: str | None) -> int:
    """Retry the reservations of claimed parked ``rows`` (their accounts already locked); how many are reserved."""
    reserved = 0
    for d in rows:
        after = await reserve(session, d, actor=actor)
        reserved += after.status == "reserved"
    return reserved


async def resume_awaiting(
    session: AsyncSession,
    *,
    policy_code: str | None = None,
    fiscal_year: int | None = None,
    limit: int = 500,
    actor: str | None = "system:budget",
) -> int:
    """Retry reservations parked for lack of budget, oldest first; returns how many are now reserved.

    Every account the retries touch is locked up front, in id order, in one statement (the lock order)."""
    rows = await claim_awaiting(session, policy_code=policy_code, fiscal_year=fiscal_year, limit=limit)
    if not rows:
        return 0
    await ledger.lock_accounts(session, accounts_of(rows))
    return await reserve_parked(session, rows, actor=actor)


def view(d: Any) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "mode": d.mode,
        "policy_code": d.policy_code,
        "policy_version": d.policy_version,
        "department": d.department,
        "district": d.district,
        "entity_type": d.entity_type,
        "entity_id": d.entity_id,
        "period": d.period,
        "fiscal_year": d.fiscal_year,
        "amount_fen": d.amount_fen,
        "entitlement_id": d.entitlement_id,
        "sequence": d.sequence,
        "supplement_of": d.supplement_of,
        "application_id": str(d.application_id) if d.application_id else None,
        "status": d.status,
        "bank_reference": str(d.reservation_id),
        "approved_by": d.approved_by,
        "approved_at": d.approved_at,
        "reserved_at": d.reserved_at,
        "instruction_sent_at": d.instruction_sent_at,
        "instruction_attempts": d.instruction_attempts,
        "bank_status": d.bank_status,
        "settled_at": d.settled_at,
        "failure_reason": d.failure_reason,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


async def labelled(
    session: AsyncSession, items: list[dict[str, Any]], *, full_names: bool
) -> list[dict[str, Any]]:
    """Disbursements with the entity's name and the policy's title (one query each for the whole list)."""
    return await directory.label(
        session,
        items,
        type_key="entity_type",
        id_key="entity_id",
        name_key="entity_name",
        full_person_names=full_names,
    )


async def get(session: AsyncSession, disbursement_id: uuid.UUID) -> Any:
    d = await repository.get(session, disbursement_id)
    if d is None:
        raise DisbursementNotFound("拨付记录不存在")
    return d


async def readable(session: AsyncSession, disbursement_id: uuid.UUID, principal: Principal | None) -> Any:
    """The disbursement, for reading: staff of its department (its own, or its policy's) and admins; other staff are
    refused (403 ``other_department``, audited by the endpoint)."""
    return await _of_department(session, disbursement_id, principal, "read", lock=False)


async def list_disbursements(
    session: AsyncSession,
    *,
    status: str | None,
    entity_id: str | None,
    policy_code: str | None,
    limit: int,
    cursor: str | None,
    full_names: bool = True,
    principal: Principal | None = None,
) -> dict[str, Any]:
    """Newest first with the counts by status; staff (admins aside) see their department's disbursements only."""
    departments = visible_departments(principal)
    rows = await repository.page(
        session,
        status=status,
        entity_id=entity_id,
        policy_code=policy_code,
        departments=departments,
        after=decode_keyset(cursor),
        limit=limit + 1,
    )
    items = await labelled(session, [view(r) for r in rows[:limit]], full_names=full_names)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = keyset_cursor(last.created_at, last.id)
    counts = await repository.counts_by_status(session, entity_id=entity_id, departments=departments)
    return {"items": items, "next_cursor": next_cursor, "counts": counts}
