"""财务 (finance's queue): disbursements awaiting a decision, budget accounts and reconciliation runs of the
department, from svc-disbursement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kunruyi_gateway.console.exceptions import (
    InvalidDate,
)
from kunruyi_gateway.console.names import Calls, NameDirectory, PolicyInfo
from kunruyi_gateway.console.views.common import (
    check_department,
    named,
    parse_time,
    yuan,
)

DISBURSEMENT_STATUS = {
    "pending_approval": "待审批",
    "awaiting_budget": "待预算",
    "reserved": "已预留",
    "instructing": "支付中",
    "instructed": "已发指令",
    "settled": "已到账",
    "failed": "支付失败",
    "returned": "被退回",
    "rejected": "已驳回",
}


@dataclass
class FinanceView:
    awaiting: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    counts: dict[str, int]
    filters: dict[str, Any] = field(default_factory=dict)
    # the last reconciliation runs, each difference named (policy, payee) and kept to the viewer's department
    reconciliation: list[dict[str, Any]] = field(default_factory=list)


MISMATCH_KIND = {
    "missing_in_ledger": "银行已付、账本无记录",
    "missing_in_bank": "账本已付、银行对账单无记录",
    "amount_mismatch": "金额不符",
}


async def finance_view(
    calls: Calls,
    names: NameDirectory,
    *,
    status: str = "pending_approval",
    roles: list[str] | None = None,
    department: str | None = None,
) -> FinanceView:
    """Disbursements in ``status`` and the budget accounts — of the staff member's department (the policy's
    department in the catalog); admins see every department."""
    if status not in DISBURSEMENT_STATUS:
        status = "pending_approval"
    shown = None
    if roles is not None and "admin" not in roles:
        shown = await check_department(calls, names, department, field="department")
    listed, budgets, policies, runs = await asyncio.gather(
        calls.call("disbursement", "GET", "/api/v1/disbursements", params={"status": status, "limit": 200}),
        calls.call("disbursement", "GET", "/api/v1/budgets", params={"limit": 200}),
        names.policies(calls),
        calls.call("disbursement", "GET", "/api/v1/reconciliation/runs", params={"limit": 5}),
    )

    def ours(code: str | None) -> bool:
        policy = policies.get(code or "")
        return shown is None or (policy is not None and policy.department == shown)

    items = [d for d in listed.get("items", []) if ours(d.get("policy_code"))]
    entity = await named(calls, names, items, "entity_type", "entity_id", "entity_name")
    rows = []
    for d in items:
        policy = policies.get(d.get("policy_code") or "")
        created = parse_time(d.get("created_at"))
        rows.append(
            {
                "id": d["id"],
                "policy_title": policy.title if policy else d.get("policy_code"),
                "policy_code": d.get("policy_code"),
                "department": d.get("department") or (policy.department if policy else ""),
                "entity_name": entity.get((d.get("entity_type") or "", d.get("entity_id") or "")) or "—",
                "entity_id": d.get("entity_id"),
                "period": d.get("period"),
                "sequence": d.get("sequence") or 0,
                "amount": yuan(d.get("amount_fen")),
                "status_title": DISBURSEMENT_STATUS.get(d.get("status") or "", d.get("status")),
                "created_at": created,
                "due": created.date() + timedelta(days=policy.payout_days)
                if created and policy and policy.payout_days
                else None,
                "failure_reason": d.get("failure_reason"),
            }
        )
    rows.sort(key=lambda r: (r["due"] or date.max, r["policy_code"] or ""))
    budget_rows = []
    for b in budgets.get("items", []) if isinstance(budgets, dict) else []:
        if not ours(b.get("policy_code")):
            continue
        policy = policies.get(b.get("policy_code") or "")
        budget_rows.append(
            {
                **b,
                "policy_title": policy.title if policy else b.get("policy_code"),
                "balance": yuan(b.get("balance_fen", b.get("available_fen"))),
                "awaiting": int(b.get("awaiting_budget") or 0),
            }
        )
    return FinanceView(
        awaiting=rows,
        budgets=budget_rows,
        counts={DISBURSEMENT_STATUS[status]: len(rows), "预算账户": len(budget_rows)},
        filters={"status": status, "department": shown},
        reconciliation=await _reconciliation_rows(calls, names, runs.get("items", []), policies, ours),
    )


async def _reconciliation_rows(
    calls: Calls,
    names: NameDirectory,
    runs: list[dict[str, Any]],
    policies: dict[str, PolicyInfo],
    ours: Callable[[str | None], bool],
) -> list[dict[str, Any]]:
    """Each run with its differences in 元, named; a department's finance sees the differences of its own policies
    (and money only the bank knows of, which no department owns yet) and how many belong to other departments."""
    differences = [m for run in runs for m in run.get("mismatches", []) if m.get("entity_id")]
    entity = (
        await names.entity_names(calls, sorted({(m["entity_type"], m["entity_id"]) for m in differences}))
        if differences
        else {}
    )
    out = []
    for run in runs:
        # svc-disbursement lists a department's finance only its own differences and counts the others'
        # (other_departments); an admin's list has them all, kept here to the department the view shows.
        hidden = int(run.get("other_departments") or 0)
        shown, elsewhere = [], hidden
        for m in run.get("mismatches", []):
            code = m.get("policy_code")
            if code is not None and not ours(code):
                elsewhere += 1
                continue
            policy = policies.get(code or "")
            shown.append(
                {
                    "kind_title": MISMATCH_KIND.get(m.get("kind") or "", m.get("kind")),
                    "reference": m.get("reference"),
                    "policy_title": (policy.title if policy else code) or "—",
                    "entity_name": entity.get((m.get("entity_type") or "", m.get("entity_id") or ""))
                    or m.get("entity_id")
                    or "—",
                    "ledger": yuan(m.get("ledger_amount_fen"))
                    if m.get("ledger_amount_fen") is not None
                    else "—",
                    "bank": yuan(m.get("bank_amount_fen")) if m.get("bank_amount_fen") is not None else "—",
                    "status_title": DISBURSEMENT_STATUS.get(m.get("disbursement_status") or "", "—"),
                }
            )
        out.append(
            {
                "statement_date": run.get("statement_date"),
                "ran_at": parse_time(run.get("created_at")),
                "ran_by": run.get("created_by") or "—",
                "ok": run.get("ok"),
                "matched": run.get("matched", 0),
                "differences": len(run.get("mismatches", [])) + hidden,
                "bank_total": yuan(run.get("bank_total_fen")),
                "ledger_total": yuan(run.get("ledger_total_fen")),
                "mismatches": shown,
                "elsewhere": elsewhere,
            }
        )
    return out


async def run_reconciliation(calls: Calls, statement_date: str) -> dict[str, Any]:
    """One day's bank statement against the ledger (svc-disbursement keeps the run)."""
    try:
        day = date.fromisoformat(statement_date.strip())
    except ValueError:
        raise InvalidDate("请填写对账日期，如 2025-06-30", field="date") from None
    result: dict[str, Any] = await calls.call(
        "disbursement", "POST", "/api/v1/reconciliation/runs", json={"date": day.isoformat()}
    )
    return result


async def top_up_budget(
    calls: Calls, *, policy_code: str, fiscal_year: int, amount_fen: int, memo: str | None, key: str
) -> dict[str, Any]:
    """A budget top-up; the form's idempotency key makes a double click or a retried post one top-up."""
    body: dict[str, Any] = {"policy_code": policy_code, "fiscal_year": fiscal_year, "amount_fen": amount_fen}
    if memo:
        body["memo"] = memo
    result: dict[str, Any] = await calls.call(
        "disbursement", "POST", "/api/v1/budgets", json=body, idempotency_key=f"console-budget:{key}"
    )
    return result


async def decide_disbursement(
    calls: Calls, disbursement_id: str, action: str, text: str | None, key: str
) -> None:
    """approve / reject (with a reason) / reissue (with a comment; idempotent) a disbursement."""
    if action == "approve":
        await calls.call("disbursement", "POST", f"/api/v1/disbursements/{disbursement_id}/approve")
    elif action == "reject":
        await calls.call(
            "disbursement",
            "POST",
            f"/api/v1/disbursements/{disbursement_id}/reject",
            json={"reason": text or ""},
        )
    else:
        await calls.call(
            "disbursement",
            "POST",
            f"/api/v1/disbursements/{disbursement_id}/reissue",
            json={"comment": text or ""},
            idempotency_key=f"console-reissue:{key}",
        )
