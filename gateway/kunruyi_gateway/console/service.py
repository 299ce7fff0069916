"""The console's views: each role's queue assembled from the services' REST APIs, with names and titles beside
every code, counts, filters and the due date.

The services decide every rule (department, four eyes, transitions); the console only shows their answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from kunruyi_common.clock import local_today

from kunruyi_gateway.console.exceptions import (
    InvalidAmount,
    InvalidDate,
    UnknownCriterion,
    UnknownDepartment,
)
from kunruyi_gateway.console.names import Calls, NameDirectory, PolicyInfo
from kunruyi_gateway.web.amounts import FEN_PER_YUAN, AmountError, fen_of

ROLE_TITLES = {
    "officer": "窗口经办",
    "reviewer": "审核",
    "approver": "审定",
    "finance": "财务",
    "broker": "技术经纪人",
    "leader": "领导",
    "admin": "管理员",
}
# The queue each role opens first.
ROLE_QUEUES = {
    "officer": "tickets",
    "reviewer": "applications",
    "approver": "applications",
    "finance": "finance",
    "broker": "broker",
    "leader": "cockpit",
    "admin": "overview",
}
QUEUE_ROLES: dict[str, tuple[str, ...]] = {
    "tickets": ("officer",),
    "applications": ("officer", "reviewer", "approver"),
    "finance": ("finance", "approver"),
    "broker": ("broker", "officer"),
    "catalog": ("officer",),
    "overview": ("admin",),
    # partner app keys: administrators only
    "partners": ("admin",),
    # the SMS delivery log (masked phones): administrators only
    "deliveries": ("admin",),
    # 昆e服 codes: issue in bulk, print, coverage of the companies that should have one
    "codes": ("officer",),
    "activities": ("officer", "reviewer", "approver"),
    # The leaders' cockpit (指标驾驶舱): every staff role and the leaders (领导) read it.
    "cockpit": ("officer", "reviewer", "approver", "finance", "broker", "leader"),
    # Reporting a quarter's value and approving one (the lead department, checked by svc-talent): never a leader.
    "indicator_reports": ("officer", "approver"),
    # 科创平台: staff who read the registry (recording is checked by svc-talent against the kind's department).
    "platforms": ("officer", "reviewer", "approver", "broker"),
    # 免申即享 runs and the other background jobs of svc-policy, with their progress.
    "runs": ("officer", "finance", "approver"),
    # 人才计划: the department's programs, calls, rankings, 公示 and its objections (resolved by officers).
    "programs": ("officer", "approver"),
}
TICKET_STATUS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "replied": "已答复",
    "resolved": "已解决",
    "closed": "已办结",
}
OPEN_TICKET = ("submitted", "accepted", "in_progress", "replied")
# Statuses in which svc-talent allows 转办, 邀请协办 and answering a part.
HANDLING_TICKET = ("submitted", "accepted", "in_progress")
# From each status, the moves that end in 已答复 (the reply box does them in one go).
TO_REPLIED: dict[str, tuple[str, ...]] = {
    "submitted": ("accepted", "in_progress", "replied"),
    "accepted": ("in_progress", "replied"),
    "in_progress": ("replied",),
    "replied": ("in_progress", "replied"),
    "resolved": ("in_progress", "replied"),
    "closed": ("in_progress", "replied"),
}
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
CRITERION_STATE = {"pass": "满足", "fail": "不满足", "manual": "需人工核验", "unknown": "无法判断"}


def may_open(queue: str, roles: list[str]) -> bool:
    return "admin" in roles or any(r in roles for r in QUEUE_ROLES[queue])


def home_queue(roles: list[str]) -> str:
    for role in ("admin", "officer", "reviewer", "approver", "finance", "broker", "leader"):
        if role in roles:
            return ROLE_QUEUES[role]
    return "overview"


async def check_department(calls: Calls, names: NameDirectory, department: str | None, *, field: str) -> str:
    """A department the catalog or the service desk knows, else ``unknown_department`` naming the field."""
    known = await names.departments(calls)
    if not department or department not in known:
        close = [d for d in known if department and (department[:1] in d or d[:1] in department)][:3]
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise UnknownDepartment(f"部门“{department or '（未设置）'}”不存在{hint}", field=field)
    return department


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def yuan(fen: Any) -> str:
    if fen is None:
        return "—"
    amount = int(fen)
    return f"¥{amount // 100:,}.{amount % 100:02d}"


# --- officer: tickets -------------------------------------------------------------------------------------------


@dataclass
class TicketRow:
    number: str
    title: str
    type: str
    status: str
    status_label: str
    requester: str
    company: str | None
    department: str
    deadline: date | None
    overdue: bool
    days_left: int | None
    submitted_at: datetime | None
    # Sent back by a requester not satisfied with the answer, not answered again yet: first in the queue.
    reopened: bool = False


@dataclass
class TicketQueue:
    department: str | None
    rows: list[TicketRow]
    counts: dict[str, int]
    overdue: int
    total: int
    filters: dict[str, Any] = field(default_factory=dict)
    reopened: int = 0


def _ticket_row(t: dict[str, Any], companies: dict[tuple[str, str], str], today: date) -> TicketRow:
    deadline = _parse_date(t.get("deadline"))
    open_ = t.get("status") in OPEN_TICKET
    overdue = bool(t.get("overdue")) or (
        open_ and t.get("status") != "replied" and deadline is not None and deadline < today
    )
    uscc = t.get("enterprise_uscc")
    return TicketRow(
        number=t["ticket_number"],
        title=t.get("title") or "",
        type=t.get("type") or "",
        status=t.get("status") or "",
        status_label=t.get("status_label") or TICKET_STATUS.get(t.get("status") or "", ""),
        requester=t.get("requester_name") or "—",
        company=companies.get(("enterprise", uscc)) if uscc else None,
        department=t.get("department") or "",
        deadline=deadline,
        overdue=overdue,
        days_left=(deadline - today).days if deadline and open_ else None,
        submitted_at=_parse_time(t.get("submitted_at")),
        reopened=bool(t.get("reopened")),
    )


async def ticket_queue(
    calls: Calls,
    names: NameDirectory,
    *,
    roles: list[str],
    department: str | None,
    status: str | None = None,
    overdue_only: bool = False,
    department_filter: str | None = None,
) -> TicketQueue:
    """The department's tickets: reopened by the requester first, then overdue, then by due date. Admins see every department (or one, by filter);
    everyone else their own — a department nobody knows is an error, not an empty list."""
    if "admin" in roles:
        shown = (
            await check_department(calls, names, department_filter, field="department")
            if department_filter
            else None
        )
    else:
        shown = await check_department(calls, names, department, field="department")
    if status and status not in TICKET_STATUS:
        status = None
    params: dict[str, Any] = {"limit": 200}
    if status:
        params["status"] = status
    if overdue_only:
        params["overdue"] = "true"
    if shown and "admin" in roles:
        params["department"] = shown
    # The newest 200, plus every ticket svc-talent flagged overdue (older ones must not fall off the first page).
    pages = [calls.call("talent", "GET", "/api/v1/tickets", params=params)]
    if not overdue_only:
        pages.append(calls.call("talent", "GET", "/api/v1/tickets", params={**params, "overdue": "true"}))
        # Every reopened ticket still to be answered again, however old: these come first.
        pages.append(calls.call("talent", "GET", "/api/v1/tickets", params={**params, "reopened": "true"}))
    seen: dict[str, dict[str, Any]] = {}
    for body in await asyncio.gather(*pages):
        for t in body.get("items", []):
            seen.setdefault(t["ticket_number"], t)
    items = list(seen.values())
    companies = await names.entity_names(
        calls, [("enterprise", t["enterprise_uscc"]) for t in items if t.get("enterprise_uscc")]
    )
    today = local_today()
    rows = [_ticket_row(t, companies, today) for t in items]
    rows.sort(
        key=lambda r: (
            not r.reopened,
            not r.overdue,
            r.status not in OPEN_TICKET,
            r.deadline or date.max,
            r.number,
        )
    )
    counts = Counter(r.status_label for r in rows)
    return TicketQueue(
        department=shown,
        rows=rows,
        counts=dict(counts),
        overdue=sum(1 for r in rows if r.overdue),
        reopened=sum(1 for r in rows if r.reopened),
        total=len(rows),
        filters={"status": status, "overdue": overdue_only, "department": department_filter},
    )


@dataclass
class TicketDetail:
    row: TicketRow
    description: str
    reply: str | None
    officer: str | None
    channel: str
    requester_phone: str | None
    history: list[dict[str, Any]]
    next_moves: list[str]
    parts: list[TicketPart] = field(default_factory=list)
    # The departments svc-talent accepts for 转办 / 协办 (the service desk's), this ticket's own left out.
    departments: list[str] = field(default_factory=list)

    @property
    def open_for_handling(self) -> bool:
        """转办, 邀请协办 and answering a part are possible until the ticket is answered."""
        return self.row.status in HANDLING_TICKET

    @property
    def unanswered(self) -> list[str]:
        return [p.department for p in self.parts if not p.answered]


@dataclass
class TicketPart:
    """A co-handling department's part of a joint ticket (协办)."""

    department: str
    officer: str
    task: str
    answer: str | None
    invited_by: str
    invited_at: datetime | None
    answered_by: str | None
    answered_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


def _part(p: dict[str, Any]) -> TicketPart:
    return TicketPart(
        department=p.get("department") or "",
        officer=p.get("officer") or "",
        task=p.get("task") or "",
        answer=p.get("answer"),
        invited_by=p.get("invited_by") or "",
        invited_at=_parse_time(p.get("invited_at")),
        answered_by=p.get("answered_by"),
        answered_at=_parse_time(p.get("answered_at")),
    )


async def ticket_detail(calls: Calls, names: NameDirectory, number: str) -> TicketDetail:
    t, desk = await asyncio.gather(
        calls.call("talent", "GET", f"/api/v1/tickets/{number}"), names.desk_departments(calls)
    )
    uscc = t.get("enterprise_uscc")
    companies = await names.entity_names(calls, [("enterprise", uscc)] if uscc else [])
    history = [
        {
            "at": _parse_time(h.get("at")),
            "from": TICKET_STATUS.get(h.get("from_status") or "", h.get("from_status") or "—"),
            "to": TICKET_STATUS.get(h.get("to_status") or "", h.get("to_status") or ""),
            "actor": h.get("actor") or "—",
            "comment": h.get("comment") or "",
        }
        for h in t.get("history", [])
    ]
    return TicketDetail(
        row=_ticket_row(t, companies, local_today()),
        description=t.get("description") or "",
        reply=t.get("reply"),
        officer=t.get("officer"),
        channel=t.get("channel") or "",
        requester_phone=t.get("requester_phone"),
        history=history,
        next_moves=list(TO_REPLIED.get(t.get("status") or "", ())),
        parts=[_part(p) for p in t.get("parts") or []],
        departments=[d for d in desk if d != t.get("department")],
    )


async def accept_ticket(calls: Calls, number: str) -> None:
    await calls.call("talent", "POST", f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})


async def answer_ticket(calls: Calls, number: str, reply: str, comment: str | None = None) -> None:
    """The reply box: every move from the ticket's status to 已答复, the reply on the last one."""
    current = await calls.call("talent", "GET", f"/api/v1/tickets/{number}")
    moves = TO_REPLIED.get(current.get("status") or "", ())
    for to in moves:
        body: dict[str, Any] = {"to": to}
        if to == "replied":
            body["reply"] = reply
            if comment:
                body["comment"] = comment
        await calls.call("talent", "POST", f"/api/v1/tickets/{number}/transitions", json=body)


async def reveal_phone(calls: Calls, number: str, reason: str) -> dict[str, Any]:
    """The requester's phone in full: an audited action in svc-talent (the reason is kept with who and when)."""
    result: dict[str, Any] = await calls.call(
        "talent",
        "POST",
        f"/api/v1/tickets/{number}/reveal",
        json={"field": "requester_phone", "reason": reason},
    )
    return result


async def transfer_ticket(calls: Calls, number: str, department: str, reason: str) -> None:
    """转办: svc-talent hands the ticket to ``department`` (owning department only; the reason is recorded)."""
    await calls.call(
        "talent",
        "POST",
        f"/api/v1/tickets/{number}/transfer",
        json={"department": department, "reason": reason},
    )


async def invite_co_handler(calls: Calls, number: str, department: str, task: str) -> None:
    """邀请协办: ``department`` gets a part of the ticket to answer; the owning department stays the lead."""
    await calls.call(
        "talent", "POST", f"/api/v1/tickets/{number}/parts", json={"department": department, "task": task}
    )


async def answer_part(calls: Calls, number: str, department: str, answer: str) -> None:
    """The co-handling department answers its own part (svc-talent refuses anyone else's)."""
    await calls.call(
        "talent",
        "POST",
        f"/api/v1/tickets/{number}/parts/{quote(department, safe='')}/answer",
        json={"answer": answer},
    )


# --- reviewer / approver: applications ---------------------------------------------------------------------------


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


async def named(
    calls: Calls, names: NameDirectory, items: list[dict[str, Any]], type_key: str, id_key: str, name_key: str
) -> dict[tuple[str, str], str]:
    """(type, code) → name: svc-disbursement's lists carry names from its read model of the registry events; only
    those it does not know yet (a company registered moments ago) are looked up, in one batch."""
    known = {(a[type_key], a[id_key]): a[name_key] for a in items if a.get(name_key)}
    missing = [(a[type_key], a[id_key]) for a in items if not a.get(name_key)]
    return {**(await names.entity_names(calls, missing) if missing else {}), **known}


def _application_row(
    a: dict[str, Any], policies: dict[str, PolicyInfo], entity: dict[tuple[str, str], str], today: date
) -> ApplicationRow:
    policy = policies.get(a.get("policy_code") or "")
    submitted = _parse_time(a.get("created_at"))
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
        notice_ends_at=_parse_time(a.get("notice_ends_at")),
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
    if "admin" in roles:
        shown = (
            await check_department(calls, names, department_filter, field="department")
            if department_filter
            else None
        )
    else:
        shown = await check_department(calls, names, department, field="department")
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
            "at": _parse_time(s.get("at")),
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
                "ends": _parse_time(a.get("notice_ends_at")),
            }
        )
    rows.sort(key=lambda r: (r["department"], r["policy_title"] or "", r["number"] or ""))
    return rows


# --- finance -----------------------------------------------------------------------------------------------------


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
        created = _parse_time(d.get("created_at"))
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
        shown, elsewhere = [], 0
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
                "ran_at": _parse_time(run.get("created_at")),
                "ran_by": run.get("created_by") or "—",
                "ok": run.get("ok"),
                "matched": run.get("matched", 0),
                "differences": len(run.get("mismatches", [])),
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


def fen_from_yuan(text: str, *, field: str) -> int:
    """``"12,345.6"`` 元 → 1234560 fen; anything else (negative, zero, three decimals, letters) is ``invalid_amount``."""
    fen = fen_of(text, fen_per_unit=FEN_PER_YUAN, max_fen=10**14 - 1)
    if isinstance(fen, int):
        return fen
    if fen in (AmountError.EMPTY, AmountError.NOT_A_NUMBER):
        raise InvalidAmount(f"“{text}”不是金额，请填写元，如 50000 或 12345.67", field=field)
    raise InvalidAmount("金额须大于 0、最多两位小数（单位：元）", field=field)


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


# --- broker ------------------------------------------------------------------------------------------------------


@dataclass
class BrokerView:
    waiting: list[dict[str, Any]]
    mine: list[dict[str, Any]]
    counts: dict[str, int]
    # this year's 绩效 per broker (服务需求数、成交数、合同金额、奖励、成交天数中位数)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    kpi_period: str = ""


async def broker_view(calls: Calls, names: NameDirectory, *, is_broker: bool) -> BrokerView:
    queue = await calls.call("matching", "GET", "/api/v1/demands/queue", params={"limit": 100})
    mine_body: dict[str, Any] = {"items": []}
    if is_broker:
        try:
            mine_body = await calls.call(
                "matching", "GET", "/api/v1/demands", params={"mine": "true", "limit": 100}
            )
        except Exception:
            mine_body = {"items": []}
    demands = [q["demand"] for q in queue.get("items", [])] + list(mine_body.get("items", []))
    entity = await names.entity_names(calls, [("enterprise", d["enterprise_uscc"]) for d in demands])

    def row(d: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": d["id"],
            "title": d.get("title"),
            "company": entity.get(("enterprise", d["enterprise_uscc"])) or "—",
            "industry_chain": d.get("industry_chain"),
            "stage": d.get("stage") or d.get("status"),
            "deadline": _parse_date(d.get("deadline")),
            # Filed under the company's code by someone not signed in as it (a 昆e服 visitor).
            "unverified": d.get("submitter_verified") is False,
        }

    waiting = [
        {**row(q["demand"]), "why": q.get("detail"), "since": _parse_time(q.get("waiting_since"))}
        for q in queue.get("items", [])
    ]
    mine_items = list(mine_body.get("items", []))
    period = str(local_today().year)
    engagements, kpis = await asyncio.gather(
        asyncio.gather(
            *(calls.call("matching", "GET", f"/api/v1/demands/{d['id']}/engagement") for d in mine_items)
        ),
        calls.call("matching", "GET", "/api/v1/brokers/kpis", params={"period": period}),
    )
    mine = [{**row(d), **_pipeline(e)} for d, e in zip(mine_items, engagements, strict=True)]
    kpi_rows = [
        {
            **k,
            "contract_amount": yuan(k.get("contract_amount_fen")),
            "reward": yuan(k.get("reward_fen")),
        }
        for k in kpis.get("items", [])
    ]
    return BrokerView(
        waiting=waiting,
        mine=mine,
        counts={"待分配": len(waiting), "我承接的": len(mine)},
        kpis=kpi_rows,
        kpi_period=period,
    )


def _pipeline(engagement: dict[str, Any]) -> dict[str, Any]:
    """A demand's place in the pipeline: the next stage a broker may record, and the stages so far."""
    nexts = [s for s in engagement.get("allowed_next", []) if s != "assigned"]
    labels: dict[str, str] = engagement.get("allowed_next_labels") or {}
    return {
        "stage_title": engagement.get("stage_label"),
        "next_stage": nexts[0] if nexts else None,
        "next_title": labels.get(nexts[0], nexts[0]) if nexts else None,
        "contract_number": engagement.get("contract_number"),
        "contract_amount": yuan(engagement.get("contract_amount_fen"))
        if engagement.get("contract_amount_fen")
        else None,
        "history": [
            {
                "title": h.get("label") or h.get("stage"),
                "at": _parse_time(h.get("at")),
                "note": h.get("note"),
            }
            for h in engagement.get("history", [])
        ],
    }


async def record_stage(
    calls: Calls,
    demand_id: str,
    stage: str,
    *,
    note: str | None,
    contract_number: str | None,
    contract_amount: str | None,
) -> dict[str, Any]:
    """The broker records the next stage of a demand's pipeline; a technical contract's registration carries its
    number and amount (typed in 元)."""
    body: dict[str, Any] = {"stage": stage}
    if note:
        body["note"] = note
    if stage == "contract_registered":
        body["contract_number"] = contract_number or None
        body["contract_amount_fen"] = (
            fen_from_yuan(contract_amount, field="contract_amount") if contract_amount else None
        )
    result: dict[str, Any] = await calls.call(
        "matching", "POST", f"/api/v1/demands/{demand_id}/stages", json=body
    )
    return result


async def claim_or_release(calls: Calls, demand_id: str, action: str, note: str | None = None) -> None:
    """A broker claims a waiting demand, or releases one back to the queue (with a note)."""
    body = {"note": note} if action == "release" and note else None
    await calls.call("matching", "POST", f"/api/v1/demands/{demand_id}/{action}", json=body)


# --- admin -------------------------------------------------------------------------------------------------------


async def overview(calls: Calls, names: NameDirectory) -> dict[str, Any]:
    """Counts across the hub; a section whose service is down shows as unavailable, not as a failed page."""

    async def safe(coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:
            return exc

    tickets, applications, disbursements, queue = await asyncio.gather(
        safe(calls.call("talent", "GET", "/api/v1/tickets", params={"limit": 200})),
        safe(calls.call("disbursement", "GET", "/api/v1/applications", params={"limit": 200})),
        safe(
            calls.call(
                "disbursement",
                "GET",
                "/api/v1/disbursements",
                params={"status": "pending_approval", "limit": 200},
            )
        ),
        safe(calls.call("matching", "GET", "/api/v1/demands/queue", params={"limit": 200})),
    )
    today = local_today()

    def count(body: Any, label: str, by: str, titles: dict[str, str]) -> dict[str, Any]:
        if isinstance(body, Exception):
            return {"label": label, "error": "暂不可用"}
        items = body.get("items", [])
        return {
            "label": label,
            "total": len(items),
            "by": dict(Counter(titles.get(i.get(by, ""), i.get(by, "")) for i in items)),
        }

    sections = [
        count(tickets, "诉求工单", "status", TICKET_STATUS),
        count(applications, "兑现申报", "status", APPLICATION_STATUS),
        count(disbursements, "待审批拨付", "status", DISBURSEMENT_STATUS),
    ]
    if isinstance(queue, Exception):
        sections.append({"label": "待分配技术需求", "error": "暂不可用"})
    else:
        sections.append({"label": "待分配技术需求", "total": len(queue.get("items", [])), "by": {}})
    overdue = 0
    if not isinstance(tickets, Exception):
        overdue = sum(
            1
            for t in tickets.get("items", [])
            if t.get("overdue")
            or (
                t.get("status") in ("submitted", "accepted", "in_progress")
                and (_parse_date(t.get("deadline")) or date.max) < today
            )
        )
    return {
        "sections": sections,
        "overdue_tickets": overdue,
        "departments": await safe(names.departments(calls)),
    }


# --- background jobs (免申即享 runs) ---------------------------------------------------------------------------------

JOB_KIND = {
    "entitlement_run": "免申即享全量批次",
    "policy_evaluation": "政策发布后重新评估",
    "catalog_import": "政策目录表格导入",
}
JOB_COUNT = {
    "policies": "政策",
    "entities": "主体",
    "evaluations": "评估",
    "eligible": "符合",
    "determined": "新确定资格",
    "settled": "按叠加规则后",
    "needs_data": "缺数据",
    "vectorised_policies": "批量计算的政策",
    "row_by_row_policies": "逐条计算的政策",
    "created": "新建",
    "drafted": "新草稿版本",
    "catalog_updated": "目录信息更新",
    "unchanged": "未变",
}


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    if total < 60:
        return f"{total} 秒"
    minutes, rest = divmod(total, 60)
    return f"{minutes} 分 {rest} 秒" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分"


async def jobs_view(calls: Calls) -> dict[str, Any]:
    """svc-policy's latest background jobs with their progress; ``live`` while one is queued or running, so that
    the page keeps polling."""
    body = await calls.call("policy", "GET", "/api/v1/jobs", params={"limit": 20})
    rows = []
    for j in body.get("items", []):
        total, done = int(j.get("total") or 0), int(j.get("done") or 0)
        params = j.get("params") or {}
        rows.append(
            {
                "id": j["id"],
                "kind_title": JOB_KIND.get(j.get("kind") or "", j.get("kind")),
                # what it ran on, in words: the evaluation date, and the policy a publication re-evaluated
                "subject": "，".join(
                    part
                    for part in (
                        f"评估日 {params['evaluation_date']}" if params.get("evaluation_date") else "",
                        f"政策 {params['policy_code']}" if params.get("policy_code") else "",
                    )
                    if part
                ),
                "status": j.get("status"),
                "status_title": j.get("status_label") or j.get("status"),
                "done": done,
                "total": total,
                "percent": 100
                if j.get("status") == "succeeded"
                else (int(100 * done / total) if total else 0),
                "rate": f"{j['rate_per_s']:,.0f} 个/秒" if j.get("rate_per_s") else "—",
                "eta": _duration(j.get("eta_s")) if j.get("status") == "running" else "—",
                "counts": {JOB_COUNT.get(k, k): n for k, n in (j.get("counts") or {}).items()},
                "error": j.get("error"),
                "created_by": j.get("created_by") or "—",
                "created_at": _parse_time(j.get("created_at")),
                "cancellable": j.get("status") in ("queued", "running"),
            }
        )
    return {"jobs": rows, "live": any(r["cancellable"] for r in rows)}


async def start_entitlement_run(calls: Calls, evaluation_date: str, key: str) -> dict[str, Any]:
    """Queue a 免申即享 run for the period of ``evaluation_date`` (today when empty); the same period and catalog
    answer the run already made (svc-policy), and the form's key makes a double submit one request."""
    body: dict[str, Any] = {}
    if evaluation_date.strip():
        try:
            body["evaluation_date"] = date.fromisoformat(evaluation_date.strip()).isoformat()
        except ValueError:
            raise InvalidDate("请填写评估日期，如 2026-06-30；留空为今天", field="evaluation_date") from None
    result: dict[str, Any] = await calls.call(
        "policy", "POST", "/api/v1/entitlement-runs", json=body, idempotency_key=f"console-run:{key}"
    )
    return result


async def cancel_job(calls: Calls, job_id: str) -> None:
    await calls.call("policy", "POST", f"/api/v1/jobs/{job_id}/cancel")


# --- 昆e服 codes: coverage -------------------------------------------------------------------------------------------

COVERAGE_QUALIFICATIONS = ("high_tech", "above_scale")


async def companies_with(calls: Calls, qualification: str, *, most: int = 2000) -> list[dict[str, Any]]:
    """The companies of the registry holding ``qualification`` (高企, 规上 …), paged through svc-talent."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(found) < most:
        params: dict[str, Any] = {"qualification": qualification, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = await calls.call("talent", "GET", "/api/v1/enterprises", params=params)
        found.extend(page.get("items", []))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found[:most]


# --- SMS delivery log ---------------------------------------------------------------------------------------------

DELIVERY_STATUS = {
    "queued": "待发送",
    "sent": "已提交短信网关",
    "delivered": "已送达",
    "undelivered": "未送达",
    "failed": "发送失败",
}


async def deliveries_view(
    calls: Calls, *, status: str | None, date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    """svc-talent's SMS log (phones masked there) and its delivery statistics for a period (Beijing dates)."""
    params: dict[str, Any] = {"limit": 100}
    if status in DELIVERY_STATUS:
        params["status"] = status
    period: dict[str, Any] = {}
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value:
            try:
                period[name] = date.fromisoformat(value).isoformat()
            except ValueError:
                raise InvalidDate(f"日期“{value}”无效，请填写如 2026-06-30", field=name) from None
    log, stats = await asyncio.gather(
        calls.call("talent", "GET", "/api/v1/message-deliveries", params=params),
        calls.call("talent", "GET", "/api/v1/message-deliveries/stats", params=period),
    )
    rows = [
        {
            **d,
            "status_title": DELIVERY_STATUS.get(d.get("status") or "", d.get("status")),
            "created": _parse_time(d.get("created_at")),
            "sent": _parse_time(d.get("sent_at")),
        }
        for d in log.get("items", [])
    ]
    rate = stats.get("delivery_rate")
    return {
        "rows": rows,
        "stats": stats,
        "rate": f"{100 * rate:.1f}%" if rate is not None else "—",
        "filters": {
            "status": status or "",
            **{k: v or "" for k, v in (("date_from", date_from), ("date_to", date_to))},
        },
    }
