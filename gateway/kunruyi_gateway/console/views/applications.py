"""兑现申报 (reviewers' and approvers' queue): applications for the department's policies from svc-disbursement,
one application's detail and steps, and the public 公示 list."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kunruyi_common.clock import local_today

from kunruyi_gateway.console.exceptions import (
    UnknownCriterion,
)
from kunruyi_gateway.console.names import Calls, NameDirectory, PolicyInfo
from kunruyi_gateway.console.views.common import (
    named,
    parse_time,
    shown_department,
    yuan,
)

APPLICATION_STATUS = {
    "submitted": "已提交",
    "accepted": "受理",
    "first_review": "初审",
    "second_review": "复审",
    "public_notice": "公示",
    "approved": "审定",
    "paid": "已拨付",
    "rejected": "不予通过",
    "supplement_required": "退回补正",
}
CRITERION_STATE = {"pass": "满足", "fail": "不满足", "manual": "需人工核验", "unknown": "无法判断"}


@dataclass
class ApplicationRow:
    id: str
    number: str
    policy_code: str
    policy_title: str
    applicant_type: str
    applicant_id: str
    applicant_name: str | None
    period: str
    amount: str
    status: str
    status_title: str
    next_step: str | None
    submitted_at: datetime | None
    due: date | None
    overdue: bool
    notice_ends_at: datetime | None


@dataclass
class ApplicationQueue:
    department: str | None
    rows: list[ApplicationRow]
    counts: dict[str, int]
    total: int
    policies: list[PolicyInfo]
    filters: dict[str, Any] = field(default_factory=dict)


def _application_row(
    a: dict[str, Any], policies: dict[str, PolicyInfo], entity: dict[tuple[str, str], str], today: date
) -> ApplicationRow:
    policy = policies.get(a.get("policy_code") or "")
    submitted = parse_time(a.get("created_at"))
    due = (
        (submitted.date() + timedelta(days=policy.payout_days))
        if submitted is not None and policy is not None and policy.payout_days
        else None
    )
    status = a.get("status") or ""
    allowed = a.get("allowed_next") or []
    return ApplicationRow(
        id=a["id"],
        number=a.get("application_number") or a["id"][:8],
        policy_code=a.get("policy_code") or "",
        policy_title=policy.title if policy else "（目录中无此政策）",
        applicant_type=a.get("applicant_type") or "",
        applicant_id=a.get("applicant_id") or "",
        applicant_name=entity.get((a.get("applicant_type") or "", a.get("applicant_id") or "")),
        period=a.get("period") or "",
        amount=yuan(a.get("amount_fen")),
        status=status,
        status_title=a.get("status_title") or APPLICATION_STATUS.get(status, status),
        next_step=APPLICATION_STATUS.get(allowed[0], allowed[0]) if allowed else None,
        submitted_at=submitted,
        due=due,
        overdue=due is not None and due < today and status not in ("paid", "rejected"),
        notice_ends_at=parse_time(a.get("notice_ends_at")),
    )


async def application_queue(
    calls: Calls,
    names: NameDirectory,
    *,
    roles: list[str],
    department: str | None,
    status: str | None = None,
    policy_code: str | None = None,
    department_filter: str | None = None,
) -> ApplicationQueue:
    """Applications for the department's policies (the catalog says which), oldest due first."""
    shown = await shown_department(calls, names, roles, department, department_filter)
    policies = await names.policies(calls)
    own = {c: p for c, p in policies.items() if shown is None or p.department == shown}
    if status and status not in APPLICATION_STATUS:
        status = None
    params: dict[str, Any] = {"limit": 200}
    if status:
        params["status"] = status
    if policy_code:
        params["policy_code"] = policy_code
    body = await calls.call("disbursement", "GET", "/api/v1/applications", params=params)
    items = [a for a in body.get("items", []) if a.get("policy_code") in own]
    entity = await named(calls, names, items, "applicant_type", "applicant_id", "applicant_name")
    today = local_today()
    rows = [_application_row(a, policies, entity, today) for a in items]
    rows.sort(key=lambda r: (r.status in ("paid", "rejected"), r.due or date.max, r.number))
    used = sorted({r.policy_code for r in rows})
    return ApplicationQueue(
        department=shown,
        rows=rows,
        counts=dict(Counter(r.status_title for r in rows)),
        total=len(rows),
        policies=[own[c] for c in used if c in own],
        filters={"status": status, "policy_code": policy_code, "department": department_filter},
    )


@dataclass
class ApplicationDetail:
    row: ApplicationRow
    department: str
    workflow: list[str]
    allowed_next: list[str]
    calculation: dict[str, Any] | None
    criteria: list[dict[str, Any]]
    manual: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    objections: list[dict[str, Any]]
    reject_reason: str | None


async def application_detail(calls: Calls, names: NameDirectory, application_id: str) -> ApplicationDetail:
    a = await calls.call("disbursement", "GET", f"/api/v1/applications/{application_id}")
    policies = await names.policies(calls)
    entity = await named(calls, names, [a], "applicant_type", "applicant_id", "applicant_name")
    calc = a.get("amount_calculation") or None
    criteria = [
        {
            "id": str(c.get("id") or c.get("label") or i),
            "label": c.get("label") or c.get("id") or f"条件 {i + 1}",
            "state": c.get("state") or "unknown",
            "state_title": CRITERION_STATE.get(c.get("state") or "", c.get("state") or ""),
            "reason": c.get("reason") or "",
        }
        for i, c in enumerate((calc or {}).get("criteria") or [])
    ]
    steps = [
        {
            "at": parse_time(s.get("at")),
            "to": APPLICATION_STATUS.get(s.get("to_status") or "", s.get("to_status") or ""),
            "action": s.get("action") or "",
            "actor": s.get("actor_name") or s.get("actor") or "—",
            "comment": s.get("comment") or "",
        }
        for s in a.get("steps", [])
    ]
    policy = policies.get(a.get("policy_code") or "")
    return ApplicationDetail(
        row=_application_row(a, policies, entity, local_today()),
        department=policy.department if policy else "",
        workflow=[APPLICATION_STATUS.get(s, s) for s in a.get("workflow") or []],
        allowed_next=list(a.get("allowed_next") or []),
        calculation=calc,
        criteria=criteria,
        manual=[c for c in criteria if c["state"] == "manual"],
        steps=steps,
        attachments=a.get("attachments", []),
        objections=a.get("objections", []),
        reject_reason=a.get("reject_reason"),
    )


def confirmation_comment(
    manual: list[dict[str, Any]], confirmed: dict[str, bool], notes: dict[str, str], comment: str | None
) -> str | None:
    """The step's comment: each manual criterion confirmed or not, with its note, then the reviewer's own words.
    Kept in the application's step history (who, when) by svc-disbursement."""
    known = {c["id"] for c in manual}
    for key in (*confirmed, *notes):
        if key not in known:
            raise UnknownCriterion(f"条件“{key}”不在该申报的计算结果中", field=f"criterion.{key}")
    parts = []
    for c in manual:
        mark = "✓ 已核验" if confirmed.get(c["id"]) else "✗ 未核验"
        note = notes.get(c["id"], "").strip()
        parts.append(f"{c['label']}：{mark}" + (f"（{note}）" if note else ""))
    text = "；".join(parts)
    if comment and comment.strip():
        text = f"{text}。{comment.strip()}" if text else comment.strip()
    return text[:1000] or None


async def advance_application(calls: Calls, application_id: str, to_status: str, comment: str | None) -> None:
    body: dict[str, Any] = {"to_status": to_status}
    if comment:
        body["comment"] = comment
    await calls.call("disbursement", "POST", f"/api/v1/applications/{application_id}/steps", json=body)


async def return_application(
    calls: Calls, application_id: str, missing: list[str], comment: str | None
) -> None:
    """补正: the list of what is missing, one per line, then any remark."""
    items = [m.strip() for m in missing if m.strip()]
    text = "需补正：" + "；".join(f"{i + 1}. {m}" for i, m in enumerate(items)) if items else ""
    if comment and comment.strip():
        text = f"{text}。{comment.strip()}" if text else comment.strip()
    await calls.call(
        "disbursement", "POST", f"/api/v1/applications/{application_id}/return", json={"comment": text[:1000]}
    )


async def reject_application(calls: Calls, application_id: str, reason: str) -> None:
    await calls.call(
        "disbursement", "POST", f"/api/v1/applications/{application_id}/reject", json={"reason": reason}
    )


async def record_objection(calls: Calls, application_id: str, objector: str, content: str) -> None:
    """An objection received during 公示 (by phone, letter or at the window), recorded by staff of the department."""
    await calls.call(
        "disbursement",
        "POST",
        f"/api/v1/applications/{application_id}/objections",
        json={"objector": objector, "content": content},
    )


def masked_person(name: str | None) -> str:
    """A person's name on a public page: the family name only (林**)."""
    return f"{name[0]}**" if name else "（个人）"


async def public_notice(reader: Calls, names: NameDirectory) -> list[dict[str, Any]]:
    """Applications under 公示, for the public page: policy title, company name (a person's name masked), amount,
    the notice's end. ``reader`` is the page's own read-only identity (nobody signs in to read a public notice)."""
    body = await reader.call(
        "disbursement", "GET", "/api/v1/applications", params={"status": "public_notice", "limit": 200}
    )
    items = body.get("items", [])
    policies = await names.policies(reader)
    entity = await named(reader, names, items, "applicant_type", "applicant_id", "applicant_name")
    rows = []
    for a in items:
        policy = policies.get(a.get("policy_code") or "")
        name = entity.get((a["applicant_type"], a["applicant_id"]))
        rows.append(
            {
                "number": a.get("application_number"),
                "policy_title": policy.title if policy else a.get("policy_code"),
                "department": policy.department if policy else "",
                "applicant": (name or "（未建档企业）")
                if a["applicant_type"] == "enterprise"
                else masked_person(name),
                "amount": yuan(a.get("amount_fen")),
                "period": a.get("period"),
                "ends": parse_time(a.get("notice_ends_at")),
            }
        )
    rows.sort(key=lambda r: (r["department"], r["policy_title"] or "", r["number"] or ""))
    return rows
