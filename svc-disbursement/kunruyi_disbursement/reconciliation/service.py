"""Reconciliation of the bank's daily statement with the ledger.

Both sides are reduced to the net amount paid out per reference on the statement date (UTC): a settled payment
counts its amount, a returned one nets to zero. References only the bank knows are ``missing_in_ledger`` (money left
that we never recorded), only the ledger knows ``missing_in_bank``; both with different nets ``amount_mismatch``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.events.outbox import add_event
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import visible_departments
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.events import ReconciliationMismatchFound
from kunruyi_disbursement.payments.bank_client import BankClient, BankError, BankRejected
from kunruyi_disbursement.reconciliation import repository
from kunruyi_disbursement.reconciliation.exceptions import BankUnavailable
from kunruyi_disbursement.reconciliation.schemas import Statement
from kunruyi_disbursement.settings import Settings


async def fetch_statement(settings: Settings, statement_date: date) -> Statement:
    """The bank's statement of ``statement_date``, checked whole before anything is compared or written: a bank that
    cannot be reached, refuses (4xx) or answers something that is not a statement (not JSON, a line without a
    reference, an amount that is not an integer of fen, an unknown status) is 503 ``bank_unavailable`` naming what
    was wrong — never a 500, and no run is recorded."""
    bank = BankClient(settings.bank_url, timeout_s=settings.bank_timeout_s)
    try:
        raw = await bank.get_statement(statement_date)
    except BankRejected as exc:
        raise BankUnavailable(f"无法获取银行对账单：银行拒绝了请求（{exc.status}）") from exc
    except BankError as exc:
        raise BankUnavailable(f"无法获取银行对账单：{exc}") from exc
    finally:
        await bank.close()
    try:
        return Statement.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "statement"
        raise BankUnavailable(f"无法获取银行对账单：对账单格式无效（{where}: {first['msg']}）") from exc


async def reconcile(
    session: AsyncSession, settings: Settings, statement_date: date, *, actor: str
) -> dict[str, Any]:
    statement = await fetch_statement(settings, statement_date)
    # Net paid per reference: a reference the statement lists twice counts twice (a double payment shows as an
    # amount_mismatch against the ledger's one, never as matched).
    bank: dict[str, int] = {}
    for entry in statement.entries:
        bank[entry.reference] = bank.get(entry.reference, 0) + (
            entry.amount_fen if entry.status == "settled" else 0
        )
    bank_refs = []
    for ref in bank:
        try:
            bank_refs.append(uuid.UUID(ref))
        except ValueError:
            continue
    rows = await repository.ledger_side(session, statement_date, bank_refs)
    ledger: dict[str, int | None] = {}
    # References of payments that failed or were returned and then issued again: nothing paid under them.
    for superseded in await repository.superseded_references(session, bank_refs):
        ledger[str(superseded)] = 0
    for r in rows:
        if r.status == "settled":
            ledger[str(r.reservation_id)] = r.amount_fen
        elif r.status in ("returned", "failed"):
            ledger[str(r.reservation_id)] = 0
        else:
            ledger[str(r.reservation_id)] = None  # known, but not settled here yet
    matched: list[dict[str, Any]] = []
    mismatches: list[dict[str, Any]] = []
    for ref in sorted(set(bank) | set(ledger)):
        b = bank.get(ref)
        led = ledger.get(ref)
        if ref not in bank:
            if led:
                mismatches.append(
                    {
                        "kind": "missing_in_bank",
                        "reference": ref,
                        "ledger_amount_fen": led,
                        "bank_amount_fen": None,
                    }
                )
            continue
        if led is None:
            if b:
                mismatches.append(
                    {
                        "kind": "missing_in_ledger",
                        "reference": ref,
                        "ledger_amount_fen": None,
                        "bank_amount_fen": b,
                    }
                )
            continue
        if b != led:
            mismatches.append(
                {"kind": "amount_mismatch", "reference": ref, "ledger_amount_fen": led, "bank_amount_fen": b}
            )
        else:
            matched.append({"reference": ref, "amount_fen": b})
    counts = {
        k: sum(1 for m in mismatches if m["kind"] == k)
        for k in ("missing_in_ledger", "missing_in_bank", "amount_mismatch")
    }
    run_id = uuid.uuid4()
    report = {
        "id": str(run_id),
        "statement_date": statement_date.isoformat(),
        "ok": not mismatches,
        "matched": len(matched),
        **counts,
        "bank_total_fen": sum(bank.values()),
        "ledger_total_fen": sum(v or 0 for v in ledger.values()),
        "mismatches": mismatches,
    }
    await repository.insert_run(
        session,
        {
            "id": run_id,
            "statement_date": statement_date,
            "matched": len(matched),
            "missing_in_ledger": counts["missing_in_ledger"],
            "missing_in_bank": counts["missing_in_bank"],
            "amount_mismatches": counts["amount_mismatch"],
            "report": report,
            "created_by": actor,
        },
    )
    for m in mismatches:
        await add_event(
            session,
            "disbursement",
            ReconciliationMismatchFound(statement_date=statement_date.isoformat(), **m),
            subject=m["reference"],
        )
    await audit.append(
        session,
        actor=actor,
        action="reconciliation.run",
        entity_type="reconciliation",
        entity_id=str(run_id),
        data={k: report[k] for k in ("statement_date", "matched", *counts)},
    )
    return report


def _references(mismatches: list[dict[str, Any]]) -> list[uuid.UUID]:
    references: list[uuid.UUID] = []
    for m in mismatches:
        try:
            references.append(uuid.UUID(m["reference"]))
        except ValueError:
            continue  # a bank-only reference need not be one of ours
    return references


def _visible(known: dict[str, Any], departments: list[str] | None, mismatch: dict[str, Any]) -> bool:
    """Whether a department's staff see this difference: money only the bank knows of (no department owns it yet)
    and their own department's payments; admins (``departments`` None) every one."""
    d = known.get(mismatch["reference"])
    return departments is None or d is None or d.department in departments


async def scoped_report(
    session: AsyncSession, report: dict[str, Any], principal: Principal | None
) -> dict[str, Any]:
    """A run's answer for ``principal``: the totals and counts of the whole run (a run is cross-department), the
    differences of the caller's department (and bank-only money), and how many others are not shown."""
    departments = visible_departments(principal)
    if departments is None:
        return {**report, "other_departments": 0}
    known = await repository.disbursements_by_reference(session, _references(report["mismatches"]))
    shown = [m for m in report["mismatches"] if _visible(known, departments, m)]
    return {**report, "mismatches": shown, "other_departments": len(report["mismatches"]) - len(shown)}


async def recent_runs(
    session: AsyncSession, limit: int, principal: Principal | None = None
) -> list[dict[str, Any]]:
    """The last runs with each mismatch beside the disbursement the ledger knows under its reference, so that finance
    sees which policy and company a difference concerns. A run is the whole day's statement: its totals and counts
    stay whole, while staff (admins aside) see only their department's differences (and bank-only money) and in
    ``other_departments`` how many belong to other departments."""
    departments = visible_departments(principal)
    rows = await repository.recent_runs(session, limit)
    known = await repository.disbursements_by_reference(
        session, _references([m for row in rows for m in row.report.get("mismatches", [])])
    )
    runs = []
    for row in rows:
        mismatches = []
        hidden = 0
        for m in row.report.get("mismatches", []):
            if not _visible(known, departments, m):
                hidden += 1
                continue
            d = known.get(m["reference"])
            mismatches.append(
                {
                    **m,
                    "disbursement_id": str(d.id) if d else None,
                    "policy_code": d.policy_code if d else None,
                    "entity_type": d.entity_type if d else None,
                    "entity_id": d.entity_id if d else None,
                    "disbursement_status": d.status if d else None,
                }
            )
        runs.append(
            {
                **row.report,
                "mismatches": mismatches,
                "other_departments": hidden,
                "created_at": row.created_at,
                "created_by": row.created_by,
            }
        )
    return runs
