"""诉求工单 (the officers' queue): the department's tickets from svc-talent, and the moves on one ticket."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from kunruyi_common.clock import local_today

from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.console.views.common import (
    parse_date,
    parse_time,
    shown_department,
)

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
    deadline = parse_date(t.get("deadline"))
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
        submitted_at=parse_time(t.get("submitted_at")),
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
    shown = await shown_department(calls, names, roles, department, department_filter)
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
        invited_at=parse_time(p.get("invited_at")),
        answered_by=p.get("answered_by"),
        answered_at=parse_time(p.get("answered_at")),
    )


async def ticket_detail(calls: Calls, names: NameDirectory, number: str) -> TicketDetail:
    t, desk = await asyncio.gather(
        calls.call("talent", "GET", f"/api/v1/tickets/{number}"), names.desk_departments(calls)
    )
    uscc = t.get("enterprise_uscc")
    companies = await names.entity_names(calls, [("enterprise", uscc)] if uscc else [])
    history = [
        {
            "at": parse_time(h.get("at")),
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
