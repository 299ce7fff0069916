"""人才计划 on the console: a department's talent programs (双创人才, 双创团队, 头雁人才 …) with their yearly calls
(批次: window, quota, status, counts of applications, selections and open 公示 objections), and one call's ranking
and selection with names, its 公示 period and its objections, resolved on the page.

Everything is svc-disbursement's: the calls and counts (``GET /api/v1/program-calls``, the department's own — another
department's program is refused there), the ranking, the applications and the objections. The console only shows
them, with each company's registry name where the application did not give one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.console.views.common import yuan
from kunruyi_gateway.web.calls import UpstreamError

CALL_STATUS = {
    "open": "申报中",
    "closed": "已截止 · 评审中",
    "selected": "已遴选 · 待公示",
    "public_notice": "公示",
}
APPLICATION_STATUS = {
    "submitted": "评审中",
    "selected": "入选",
    "not_selected": "未入选",
    "withdrawn": "撤销入选（异议成立）",
}
OBJECTION_STATUS = {"open": "待处理", "upheld": "异议成立", "dismissed": "异议不成立"}
OUTCOMES = (("dismissed", "异议不成立（维持入选）"), ("upheld", "异议成立（撤销入选，名额内按排名递补）"))
KIND_TITLES = {"talent": "个人申报", "team": "团队申报"}


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def notice_period(starts: Any, ends: Any) -> str:
    """The 公示 period in words: it runs from ``starts`` up to the day before ``ends`` (svc-disbursement's rule)."""
    first, end = _day(starts), _day(ends)
    if first is None or end is None:
        return "未公示"
    last = end - timedelta(days=1)
    return (
        f"{first.isoformat()} 至 {last.isoformat()}"
        if last >= first
        else f"{first.isoformat()}（不设异议期）"
    )


@dataclass
class CallRow:
    id: str
    program_id: str
    program_title: str
    title: str
    year: int
    window: str
    status: str
    status_title: str
    accepting: bool
    quota: int
    categories: str
    applications: int
    selected: int
    withdrawn: int
    objections: int
    objections_open: int
    notice: str
    accepting_objections: bool


def call_row(c: dict[str, Any]) -> CallRow:
    return CallRow(
        id=str(c["id"]),
        program_id=str(c["program_id"]),
        program_title=c["program_title"],
        title=c["title"],
        year=int(c["year"]),
        window=f"{c['opens_on']} 至 {c['closes_on']}",
        status=c["status"],
        status_title=CALL_STATUS.get(c["status"], c["status"]),
        accepting=bool(c["accepting"]),
        quota=int(c["quota"]),
        categories="；".join(f"{k['title']} {k['quota']} 名" for k in c.get("categories") or []),
        applications=int(c["applications"]),
        selected=int(c["selected"]),
        withdrawn=int(c["withdrawn"]),
        objections=int(c["objections"]),
        objections_open=int(c["objections_open"]),
        notice=notice_period(c.get("notice_starts_on"), c.get("notice_ends_on")),
        accepting_objections=bool(c.get("accepting_objections")),
    )


@dataclass
class ProgramRow:
    id: str
    code: str
    title: str
    department: str
    kind_title: str
    calls: list[CallRow] = field(default_factory=list)


@dataclass
class ProgramsView:
    programs: list[ProgramRow]
    filters: dict[str, str | None]
    open_objections: int
    calls: int


async def programs_view(
    calls: Calls, *, roles: list[str], department: str | None, program: str | None, status: str | None
) -> ProgramsView:
    """The department's programs (admins: all) and their calls with counts; ``program`` narrows to one (another
    department's is refused by svc-disbursement: its UpstreamError goes to the page)."""
    params = {k: v for k, v in (("program", program), ("status", status)) if v}
    listed, catalog = await asyncio.gather(
        calls.call("disbursement", "GET", "/api/v1/program-calls", params=params),
        calls.call("disbursement", "GET", "/api/v1/programs"),
    )
    rows: dict[str, ProgramRow] = {}
    for p in catalog.get("items", []):
        mine = "admin" in roles or p["department"] == department
        if (program and str(p["id"]) != program) or (not program and not mine):
            continue
        rows[str(p["id"])] = ProgramRow(
            id=str(p["id"]),
            code=p["code"],
            title=p["title"],
            department=p["department"],
            kind_title=KIND_TITLES.get(p["applicant_kind"], p["applicant_kind"]),
        )
    found = [call_row(c) for c in listed.get("items", [])]
    for c in found:
        if c.program_id in rows:
            rows[c.program_id].calls.append(c)
    shown = [r for r in rows.values() if r.calls or not status]
    return ProgramsView(
        programs=sorted(shown, key=lambda r: (not r.calls, r.code)),
        filters={"program": program, "status": status},
        open_objections=sum(c.objections_open for c in found),
        calls=len(found),
    )


@dataclass
class RankedRow:
    application_id: str
    rank: int
    applicant_name: str
    company: str
    funding_level: str
    requested: str
    normalised_score: float
    mean_raw_score: float
    scores: str
    within_quota: bool
    status: str
    status_title: str


@dataclass
class CategoryRanking:
    code: str
    title: str
    quota: int
    rows: list[RankedRow]


@dataclass
class ObjectionRow:
    id: str
    applicant_name: str
    company: str
    objector: str
    reason: str
    status: str
    status_title: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: Any
    promoted: str | None
    created_at: Any


@dataclass
class CallView:
    call: CallRow
    department: str
    complete: bool
    categories: list[CategoryRanking]
    objections: list[ObjectionRow]
    panel: int


async def call_view(calls: Calls, names: NameDirectory, call_id: str, *, me: str, my_name: str) -> CallView:
    """One call: its counts (read through the department-checked list: another department's call is refused
    there), the ranking per category with each applicant's status and company name, and the objections."""
    call = await calls.call("disbursement", "GET", f"/api/v1/program-calls/{call_id}")
    listed = await calls.call(
        "disbursement", "GET", "/api/v1/program-calls", params={"program": str(call["program_id"])}
    )
    summary = next((c for c in listed.get("items", []) if str(c["id"]) == str(call_id)), None)
    if summary is None:  # the call's own program lists it; only a call removed in between misses
        raise UpstreamError(404, "批次不存在", {"detail": "批次不存在", "code": "program_call_not_found"})
    ranking, applications, objections = await asyncio.gather(
        calls.call("disbursement", "GET", f"/api/v1/program-calls/{call_id}/ranking"),
        calls.call("disbursement", "GET", f"/api/v1/program-calls/{call_id}/applications"),
        calls.call("disbursement", "GET", f"/api/v1/program-calls/{call_id}/objections"),
    )
    apps = {str(a["id"]): a for a in applications.get("items", [])}
    unnamed = [
        ("enterprise", a["company_uscc"])
        for a in apps.values()
        if a["company_uscc"] and not a["company_name"]
    ]
    registry = await names.entity_names(calls, unnamed) if unnamed else {}

    def company(a: dict[str, Any] | None) -> str:
        if a is None:
            return "—"
        if not a.get("company_uscc"):
            return "未落地（企业尚未注册）"
        return str(
            a.get("company_name") or registry.get(("enterprise", a["company_uscc"])) or "企业名称未登记"
        )

    levels = {f["code"]: f["title"] for f in call.get("funding_levels") or []}
    categories: list[CategoryRanking] = []
    for cat in call.get("categories") or []:
        rows = []
        for r in ranking.get("categories", {}).get(cat["code"], []):
            a = apps.get(str(r["application_id"]), {})
            state = str(a.get("status") or "submitted")
            rows.append(
                RankedRow(
                    application_id=str(r["application_id"]),
                    rank=int(r["rank"]),
                    applicant_name=r["applicant_name"],
                    company=company(a),
                    funding_level=levels.get(str(a.get("funding_level")), str(a.get("funding_level") or "—")),
                    requested=yuan(a["requested_amount_fen"]) if a.get("requested_amount_fen") else "—",
                    normalised_score=float(r["normalised_score"]),
                    mean_raw_score=float(r["mean_raw_score"]),
                    scores=f"{r['scores']}/{r['expected_scores']}",
                    within_quota=bool(r["within_quota"]),
                    status=state,
                    status_title=APPLICATION_STATUS.get(state, state),
                )
            )
        categories.append(CategoryRanking(cat["code"], cat["title"], int(cat["quota"]), rows))
    rows_o = []
    for o in objections.get("items", []):
        promoted = apps.get(str(o.get("promoted_application_id")))
        resolver = o.get("resolved_by")
        rows_o.append(
            ObjectionRow(
                id=str(o["id"]),
                applicant_name=o["applicant_name"],
                company=company(apps.get(str(o["application_id"]))),
                objector=o.get("objector") or "匿名",
                reason=o["reason"],
                status=o["status"],
                status_title=OBJECTION_STATUS.get(o["status"], o["status"]),
                resolution=o.get("resolution"),
                # svc-disbursement keeps the resolver's account only: the signed-in member's own name, else it.
                resolved_by=(
                    my_name if resolver == me else f"经办人（账号 {resolver}）" if resolver else None
                ),
                resolved_at=o.get("resolved_at"),
                promoted=None if promoted is None else promoted["applicant_name"],
                created_at=o.get("created_at"),
            )
        )
    rows_o.sort(key=lambda o: (o.status != "open", str(o.created_at)))
    return CallView(
        call=call_row(summary),
        department=call["department"],
        complete=bool(ranking.get("complete")),
        categories=categories,
        objections=rows_o,
        panel=len(call.get("panel") or []),
    )


# The resolution form's fields, by the name svc-disbursement gives them in a refusal, with their labels.
RESOLUTION_FIELDS = {"outcome": "处理结果", "resolution": "核查结论"}


def objection_field_error(field: str, message: str) -> str:
    """A refusal of the resolution form, beside its field: svc-disbursement's own words (already Chinese) after the
    field's label; only the outcome, a choice on this page, is worded by its choices here."""
    if field == "outcome":
        return "请选择处理结果：异议成立或异议不成立"
    return f"{RESOLUTION_FIELDS.get(field, field)}{message}"


async def resolve_objection(calls: Calls, objection_id: str, outcome: str, resolution: str) -> dict[str, Any]:
    """svc-disbursement's resolution (the program department's officer; once)."""
    answer: dict[str, Any] = await calls.call(
        "disbursement",
        "POST",
        f"/api/v1/program-objections/{objection_id}/resolution",
        json={"outcome": outcome, "resolution": resolution},
    )
    return answer


async def objection_call_id(calls: Calls, objection_id: str) -> str:
    found = await calls.call("disbursement", "GET", f"/api/v1/program-objections/{objection_id}")
    return str(found["call_id"])
