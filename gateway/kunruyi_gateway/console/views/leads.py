"""An activity's leads (线索) on the console: what was heard at the session — a company's or talent's need (需求), a
cooperation (合作) or a negotiation (商洽) with another party — and what each need became (a service ticket, or a
technology demand filed by svc-matching).

svc-talent owns the leads and decides every rule (host department, the session has started, one conversion, which
fields a conversion needs); the console names the parties (never a bare code), shows the phone masked when the
party registered with one, links what a lead converted into, and checks the forms first so the officer is told at
the field, in Chinese, before anything is sent. A refusal from the service is put back at its field too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from kunruyi_common.taxonomy import TAXONOMY

from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.console.views.tickets import TICKET_STATUS
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.templating import status_label

KINDS = {"need": "需求", "cooperation": "合作", "negotiation": "商洽"}
# svc-talent's DemandType (the technology demand types svc-matching files).
DEMAND_TYPES = ("技术攻关", "成果转化", "人才引进", "设备共享", "检测服务")
# A field the service names → the console form field it belongs to.
RECORD_FIELDS = {
    "uscc": "uscc",
    "talent_id": "attendee",
    "party": "party",
    "content": "content",
    "kind": "kind",
}
CONVERT_FIELDS = {
    "type": "type",
    "industry_chain": "industry_chain",
    "technical_field": "technical_field",
    "demand_type": "demand_type",
    "title": "title",
    # A refusal of the lead itself (already converted, not a need, no company): said on the lead's row.
    "lead": "lead",
}
# A refusal whose words name an API route: what the officer reads instead (fields of the problem body filled in).
CONSOLE_WORDS = {
    "enterprise_not_registered": "企业 {uscc} 不在企业库中：请先为该企业建档（一企一档），再登记线索",
}
# svc-matching's demand statuses in which the demand is on the broker page's queue (待分配) — the link goes there.
ON_BROKER_QUEUE = ("unassigned",)


@dataclass
class LeadRow:
    id: str
    kind: str
    kind_label: str
    party: str
    party_kind: str
    other_party: str | None
    phone_masked: str | None
    content: str
    status: str
    status_label: str
    converted_label: str | None = None
    converted_url: str | None = None
    converted_note: str | None = None
    created_at: Any = None
    created_by: str = ""
    convertible: bool = False


@dataclass
class LeadsView:
    rows: list[LeadRow]
    counts: dict[str, int]
    attendees: list[tuple[str, str]] = field(default_factory=list)
    ticket_types: list[tuple[str, str]] = field(default_factory=list)
    chains: list[tuple[str, str]] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    demand_types: tuple[str, ...] = DEMAND_TYPES
    default_chain: str | None = None


def attendees(registrations: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The registered companies and talents as form options: ``enterprise:<uscc>`` / ``talent:<id>`` → name."""
    options: list[tuple[str, str]] = []
    for r in (registrations or {}).get("items", []):
        kind = r.get("attendee_type")
        if kind not in ("enterprise", "talent") or not r.get("attendee"):
            continue
        label = "企业" if kind == "enterprise" else "人才"
        options.append((f"{kind}:{r['attendee']}", f"{label} · {r.get('name') or r['attendee']}"))
    # Companies first, then talents; each by name.
    return sorted(options, key=lambda o: (not o[0].startswith("enterprise:"), o[1]))


def _ticket_note(lead: dict[str, Any]) -> str | None:
    """Where the ticket a lead became stands (svc-talent lists it with the lead)."""
    status = str(lead.get("ticket_status") or "")
    if not status:
        return None
    label = TICKET_STATUS.get(status, status)
    return f"{label} · {lead['ticket_department']}办理" if lead.get("ticket_department") else label


async def _demands(calls: Calls, demand_ids: list[str]) -> dict[str, tuple[str | None, str | None, str]]:
    """(number, status label, status) of each filed technology demand, in one call to svc-matching; empty when it
    does not answer (the leads still show, without the demands' progress)."""
    if not demand_ids:
        return {}
    try:
        found = await calls.call(
            "matching", "GET", "/api/v1/demands", params={"limit": 200, "id": demand_ids}
        )
    except UpstreamError:
        return {}
    notes: dict[str, tuple[str | None, str | None, str]] = {}
    for demand in (found or {}).get("items", []) if isinstance(found, dict) else []:
        status = str(demand.get("status") or "")
        notes[str(demand.get("id"))] = (
            demand.get("demand_number"),
            status_label(status) if status else None,
            status,
        )
    return notes


async def view(
    calls: Calls,
    names: NameDirectory,
    listed: dict[str, Any],
    registrations: dict[str, Any] | None,
    *,
    industry_chain: str | None = None,
) -> LeadsView:
    """The activity's leads with names, masked phones and the links of their conversions; the forms' options."""
    items: list[dict[str, Any]] = list(listed.get("items") or [])
    registered = {
        r["attendee"]: r for r in (registrations or {}).get("items", []) if r.get("attendee") is not None
    }
    entities = [("enterprise", i["enterprise_uscc"]) for i in items if i.get("enterprise_uscc")]
    entities += [("talent", str(i["talent_id"])) for i in items if i.get("talent_id")]
    found = await names.entity_names(calls, entities) if entities else {}

    demand_note = await _demands(calls, sorted({str(i["demand_id"]) for i in items if i.get("demand_id")}))

    rows: list[LeadRow] = []
    for i in items:
        uscc, talent = i.get("enterprise_uscc"), str(i["talent_id"]) if i.get("talent_id") else None
        if uscc:
            party_kind, code = "企业", uscc
            party = found.get(("enterprise", uscc)) or "企业（未在企业库中找到名称）"
        elif talent:
            party_kind, code = "人才", talent
            party = found.get(("talent", talent)) or "人才（未找到档案姓名）"
        else:
            party_kind, code, party = "", "", "现场参会者（未指明企业或人才）"
        reg = registered.get(code) if code else None
        kind = str(i.get("kind"))
        status = str(i.get("status"))
        row = LeadRow(
            id=str(i["id"]),
            kind=kind,
            kind_label=KINDS.get(kind, kind),
            party=party,
            party_kind=party_kind,
            other_party=i.get("party"),
            phone_masked=(reg or {}).get("phone_masked"),
            content=str(i.get("content") or ""),
            status=status,
            status_label="计入活动成果"
            if kind != "need"
            else ("已转化" if status == "converted" else "待转化"),
            created_at=i.get("created_at"),
            created_by=str(i.get("created_by") or ""),
            convertible=kind == "need" and status != "converted",
        )
        if i.get("converted_to") == "ticket" and i.get("ticket_number"):
            number = str(i["ticket_number"])
            row.converted_label = f"服务工单 {number}"
            row.converted_url = f"/console/tickets/{number}"
            row.converted_note = _ticket_note(i)
        elif i.get("converted_to") == "demand":
            demand_id = i.get("demand_id")
            if demand_id:
                demand_number, note, status = demand_note.get(str(demand_id), (None, None, ""))
                row.converted_label = f"技术需求 {demand_number}" if demand_number else "技术需求"
                # Only the broker page's queue shows a demand: linked while it waits there, else its status.
                if status in ON_BROKER_QUEUE:
                    row.converted_url = f"/console/broker#demand-{demand_id}"
                row.converted_note = note
            else:
                row.converted_label = "技术需求"
                row.converted_note = "科技服务平台受理中，编号稍后显示"
        rows.append(row)

    counts = dict(listed.get("counts") or {})
    try:
        desk = (await calls.call("talent", "GET", "/api/v1/service-desk/types")).get("types", [])
    except UpstreamError:  # the conversion form then asks for a type the officer cannot pick: shown empty
        desk = []
    return LeadsView(
        rows=rows,
        counts={k: int(counts.get(k) or 0) for k in ("leads", "needs", "converted", "to_tickets", "to_demands",
                                                      "cooperations", "negotiations")},
        attendees=attendees(registrations),
        ticket_types=[(t["type"], f"{t['type']}（{t['department']}）") for t in desk],
        chains=[(t.code, t.name) for t in TAXONOMY.industry_chains],
        fields=[(t.code, t.name) for t in TAXONOMY.technical_fields],
        # svc-talent keeps an activity's chain by its Chinese name: the form proposes it by its code.
        default_chain=TAXONOMY.industry_chains.lookup(industry_chain),
    )  # fmt: skip


def record_body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The lead to record from the console form, and the errors of its fields (Chinese, at the field)."""
    kind = form.get("kind", "")
    attendee = form.get("attendee", "")
    uscc = form.get("uscc", "").strip().upper()
    party = form.get("party", "").strip()
    content = form.get("content", "").strip()
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    if kind not in KINDS:
        errors["kind"] = "请选择线索类型（需求、合作或商洽）"
    else:
        body["kind"] = kind
    if attendee and uscc:
        errors["uscc"] = "已选择参会企业或人才，无需再填信用代码（二者选其一）"
    elif attendee:
        who, _, code = attendee.partition(":")
        if who == "enterprise" and code:
            body["uscc"] = code
        elif who == "talent" and code:
            try:
                body["talent_id"] = str(uuid.UUID(code))
            except ValueError:
                errors["attendee"] = "请从名单中选择参会企业或人才"
        else:
            errors["attendee"] = "请从名单中选择参会企业或人才"
    elif uscc:
        if len(uscc) != 18:
            errors["uscc"] = "统一社会信用代码为 18 位"
        else:
            body["uscc"] = uscc
    elif kind == "need":
        errors["attendee"] = (
            "需求线索须指明提出需求的企业或人才（从报名名单选择，或填写已建档企业的信用代码）"
        )
    if kind in ("cooperation", "negotiation") and not party:
        errors["party"] = f"请填写{KINDS[kind]}的另一方（单位名称）"
    if party:
        body["party"] = party[:120]
    if len(content) < 2:
        errors["content"] = "请填写线索内容（至少 2 个字）"
    elif len(content) > 2000:
        errors["content"] = "线索内容最多 2000 字"
    else:
        body["content"] = content
    return body, errors


def conversion_body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The conversion to ask for (``to`` ticket or demand) and the errors of its fields."""
    to = form.get("to", "")
    errors: dict[str, str] = {}
    if to == "ticket":
        kind = form.get("type", "").strip()
        if not kind:
            errors["type"] = "请选择诉求类型（决定承办部门和办理时限）"
        return {"to": "ticket", "type": kind}, errors
    if to == "demand":
        body = {"to": "demand"}
        for name, message in (
            ("industry_chain", "请选择产业链"),
            ("technical_field", "请选择技术领域"),
            ("demand_type", "请选择需求类型"),
        ):
            value = form.get(name, "").strip()
            if not value:
                errors[name] = message
            body[name] = value
        if body.get("demand_type") and body["demand_type"] not in DEMAND_TYPES:
            errors["demand_type"] = "请选择需求类型"
        return body, errors
    return {}, {"to": "请选择转为服务工单或技术需求"}


class _Blank(dict[str, Any]):
    """A problem body to fill the console's words from: a missing name reads as nothing (never a KeyError)."""

    def __missing__(self, key: str) -> str:
        return ""


def problem_fields(body: Any, mapping: dict[str, str]) -> dict[str, str]:
    """A service's refusal put at the form's fields: its ``field`` and each validation error's field (in the
    console's words where the service's speak to an API caller)."""
    if not isinstance(body, dict):
        return {}
    words = CONSOLE_WORDS.get(str(body.get("code") or ""))
    placed: dict[str, str] = {}
    for e in body.get("errors") or []:
        if isinstance(e, dict) and str(e.get("field") or "").split(".")[-1] in mapping:
            said = words.format_map(_Blank(body)) if words else str(e.get("message") or "填写有误")
            placed.setdefault(mapping[str(e["field"]).split(".")[-1]], said)
    top = str(body.get("field") or "")
    if top in mapping and mapping[top] not in placed:
        said = (
            words.format_map(_Blank(body))
            if words
            else str(body.get("detail") or body.get("title") or "填写有误")
        )
        placed[mapping[top]] = said
    return placed
