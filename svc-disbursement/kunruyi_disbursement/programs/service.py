"""The talent-program cycle: programs, yearly calls (批次), applications, expert review, ranking, selection, 公示.

- A program belongs to a department; only its staff (admins: all) manage its calls, panels, selection and notice
  (403 ``other_department``, audited).
- A call accepts applications from ``opens_on`` to ``closes_on`` inclusive, by Kunshan's date (``local_today``),
  while it is ``open``; otherwise 409 ``call_not_open``. One application per talent (or team) per call.
- 未落地先评审: an application may name no company yet (the talent will set one up); it is reviewed like any other.
- Experts are the call's panel (staff with the reviewer role). Each scores an application once (0–100; 409
  ``already_scored``), never one whose company or applicant they declared a conflict with (409
  ``conflict_of_interest``, as svc-matching's brokers; audited).
- Ranking: each expert's scores are turned into z-scores over the applications that expert scored in the call
  (population standard deviation; an expert whose scores are all equal contributes 0), an application's normalised
  score is the mean of its z-scores, and applications are ranked per category by normalised score, then mean raw
  score, then submission order.
- Selection (an approver of the department who is not on the panel — four eyes, 409 ``same_person``) takes, once
  the window has closed and every expected score is in, the top ``quota`` of each category; each selected
  application publishes ``kunruyi.disbursement.program.selected``. Then the 公示 list is published.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import mask_pii
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_program_department
from kunruyi_disbursement.applications.exceptions import PolicyCalculatorUnavailable
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.exceptions import SamePerson
from kunruyi_disbursement.policies.calculator_client import NotComputable, PolicyCalculator, PolicyUnavailable
from kunruyi_disbursement.programs import repository as repo
from kunruyi_disbursement.programs.events import (
    ProgramApplicationSubmitted,
    ProgramNoticePublished,
    ProgramSelected,
)
from kunruyi_disbursement.programs.exceptions import (
    AlreadyApplied,
    AlreadyScored,
    AlreadySelected,
    ApplicantNotEligible,
    ApplicantNotOnFile,
    CallExists,
    CallNotClosed,
    CallNotFound,
    CallNotOpen,
    ConflictOfInterest,
    EligibilityPolicyNotInForce,
    NoticeNotPublished,
    NotOnPanel,
    NotSelectedYet,
    OverFundingLevel,
    ProgramApplicationNotFound,
    ProgramExists,
    ProgramNotFound,
    ReviewIncomplete,
    ScoredBeforeDeclaring,
    UnknownCategory,
    UnknownDepartment,
    UnknownFundingLevel,
)
from kunruyi_disbursement.programs.schemas import (
    CallIn,
    CallOut,
    CallSummary,
    CategoryIn,
    ConflictIn,
    ConflictOut,
    EligibilityOut,
    FundingLevelIn,
    NoticeEntry,
    NoticeOut,
    PanelIn,
    ProgramApplicationIn,
    ProgramApplicationOut,
    ProgramIn,
    ProgramOut,
    RankedApplication,
    RankingOut,
    ScoreIn,
    ScoreOut,
)

SOURCE = "disbursement"  # the event source, as the other modules name it


# --- programs ------------------------------------------------------------------------------------------------------


async def create_program(session: AsyncSession, body: ProgramIn, principal: Principal) -> ProgramOut:
    department = body.department or principal.department
    ensure_program_department(
        principal,
        department,
        entity_type="program",
        entity_id=body.code,
        action="program.create",
    )
    if department is None:  # an admin without a department named none
        raise UnknownDepartment("请填写主管部门 department", field="department")
    row = await repo.insert_program(
        session,
        {
            "id": uuid.uuid4(),
            "code": body.code,
            "title": body.title,
            "applicant_kind": body.applicant_kind,
            "department": department,
            "created_by": principal.subject,
        },
    )
    if row is None:
        raise ProgramExists(f"人才计划 {body.code} 已存在", field="code")
    return ProgramOut.model_validate(dict(row))


async def list_programs(session: AsyncSession) -> list[ProgramOut]:
    return [ProgramOut.model_validate(dict(r)) for r in await repo.list_programs(session)]


# --- calls ---------------------------------------------------------------------------------------------------------


def _accepting(call: RowMapping) -> bool:
    return bool(call["status"] == "open" and call["opens_on"] <= local_today() <= call["closes_on"])


async def call_view(session: AsyncSession, call: RowMapping) -> CallOut:
    return CallOut(
        id=call["id"],
        program_id=call["program_id"],
        program_code=call["program_code"],
        department=call["department"],
        year=call["year"],
        title=call["title"],
        opens_on=call["opens_on"],
        closes_on=call["closes_on"],
        status=call["status"],
        accepting=_accepting(call),
        categories=[CategoryIn.model_validate(c) for c in call["categories"]],
        funding_levels=[FundingLevelIn.model_validate(f) for f in call["funding_levels"]],
        notice_days=call["notice_days"],
        notice_starts_on=call["notice_starts_on"],
        notice_ends_on=call["notice_ends_on"],
        panel=await repo.panel(session, call["id"]),
        selected_by=call["selected_by"],
        eligibility_policy=call["eligibility_policy"],
    )


async def require_call(session: AsyncSession, call_id: uuid.UUID, *, lock: bool = False) -> RowMapping:
    call = await repo.get_call(session, call_id, lock=lock)
    if call is None:
        raise CallNotFound("批次不存在")
    return call


async def _program_of_department(
    session: AsyncSession, program_id: uuid.UUID, principal: Principal, action: str
) -> RowMapping:
    """The program (404 when there is none), after checking the caller is staff of its department."""
    program = await repo.get_program(session, program_id)
    if program is None:
        raise ProgramNotFound("人才计划不存在")
    ensure_program_department(
        principal, program["department"], entity_type="program", entity_id=str(program_id), action=action
    )
    return program


async def open_call(
    session: AsyncSession, program_id: uuid.UUID, body: CallIn, principal: Principal
) -> CallOut:
    program = await _program_of_department(session, program_id, principal, "call.open")
    row = await repo.insert_call(
        session,
        {
            "id": uuid.uuid4(),
            "program_id": program_id,
            "year": body.year,
            "title": body.title,
            "opens_on": body.opens_on,
            "closes_on": body.closes_on,
            "categories": [c.model_dump() for c in body.categories],
            "funding_levels": [f.model_dump() for f in body.funding_levels],
            "notice_days": body.notice_days,
            "eligibility_policy": body.eligibility_policy,
            "created_by": principal.subject,
        },
    )
    if row is None:
        raise CallExists(f"{program['title']} {body.year} 年度已有批次", field="year")
    return await call_view(session, await require_call(session, row["id"]))


async def list_calls(
    session: AsyncSession,
    principal: Principal,
    *,
    program_id: uuid.UUID | None = None,
    status: str | None = None,
) -> list[CallSummary]:
    """Calls with their counts. Staff (admins aside) see their own department's programs only: a ``program`` of
    another department is refused (403 ``other_department``, audited); without one, the list is their
    department's. Partners with ``disbursement:read`` and admins see every department's."""
    department: str | None = None
    if program_id is not None:
        await _program_of_department(session, program_id, principal, "calls.list")
    elif principal.kind == "staff" and "admin" not in principal.roles:
        if principal.department is None:
            return []
        department = principal.department
    rows = await repo.calls_with_counts(session, program_id=program_id, department=department, status=status)
    return [
        CallSummary(
            id=r["id"],
            program_id=r["program_id"],
            program_code=r["program_code"],
            program_title=r["program_title"],
            department=r["department"],
            year=r["year"],
            title=r["title"],
            opens_on=r["opens_on"],
            closes_on=r["closes_on"],
            status=r["status"],
            accepting=_accepting(r),
            categories=[CategoryIn.model_validate(c) for c in r["categories"]],
            quota=sum(int(c["quota"]) for c in r["categories"]),
            notice_starts_on=r["notice_starts_on"],
            notice_ends_on=r["notice_ends_on"],
            accepting_objections=in_notice_period(r),
            applications=r["n_applications"],
            selected=r["n_selected"],
            withdrawn=r["n_withdrawn"],
            objections=r["n_objections"],
            objections_open=r["n_objections_open"],
        )
        for r in rows
    ]


async def readable_call(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> RowMapping:
    """The call, for reading its applications, ranking or objections: staff of its program's department, the
    experts on its panel (wherever they work), admins and partners with ``disbursement:read``; other staff are
    refused (403 ``other_department``, audited by the endpoint)."""
    call = await require_call(session, call_id)
    if (
        principal.kind == "staff"
        and "admin" not in principal.roles
        and principal.department != call["department"]
        and principal.subject not in await repo.panel(session, call_id)
    ):
        ensure_program_department(
            principal,
            call["department"],
            entity_type="program_call",
            entity_id=str(call_id),
            action="call.read",
        )
    return call


async def _managed_call(
    session: AsyncSession, call_id: uuid.UUID, principal: Principal, action: str
) -> RowMapping:
    """The call, locked, after checking the caller is staff of its program's department."""
    call = await require_call(session, call_id, lock=True)
    ensure_program_department(
        principal,
        call["department"],
        entity_type="program_call",
        entity_id=str(call_id),
        action=action,
    )
    return call


async def close_call(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> CallOut:
    call = await _managed_call(session, call_id, principal, "call.close")
    if call["status"] != "open":
        raise CallNotOpen("批次已关闭", status_now=call["status"])
    await repo.update_call(session, call_id, status="closed")
    return await call_view(session, await require_call(session, call_id))


async def set_panel(
    session: AsyncSession, call_id: uuid.UUID, body: PanelIn, principal: Principal
) -> CallOut:
    call = await _managed_call(session, call_id, principal, "call.panel")
    if call["status"] in ("selected", "public_notice"):
        raise AlreadySelected("本批次已遴选，评审组不能再变")
    await repo.add_panel_members(
        session,
        [
            {"call_id": call_id, "expert": e.subject, "expert_name": e.name, "added_by": principal.subject}
            for e in body.experts
        ],
    )
    return await call_view(session, call)


# --- applications --------------------------------------------------------------------------------------------------


def application_view(row: RowMapping) -> ProgramApplicationOut:
    return ProgramApplicationOut(
        id=row["id"],
        call_id=row["call_id"],
        applicant_id=row["applicant_id"],
        applicant_name=row["applicant_name"],
        company_uscc=row["company_uscc"],
        company_name=row["company_name"],
        landed=row["company_uscc"] is not None,
        category=row["category"],
        funding_level=row["funding_level"],
        requested_amount_fen=row["requested_amount_fen"],
        plan=row["plan"],
        status=row["status"],
        rank=row["rank"],
        created_at=row["created_at"],
        eligibility=EligibilityOut.model_validate(row["eligibility"]) if row["eligibility"] else None,
    )


async def eligibility(
    calculator: PolicyCalculator, call: RowMapping, applicant_id: str, today: date
) -> dict[str, Any] | None:
    """The call's eligibility rules (svc-policy's policy ``eligibility_policy``) applied to the applicant's stored
    file, as the calculator answers by id: refused when the applicant does not qualify or is not on file; kept for
    the reviewers when eligible, or when a criterion needs their confirmation or a figure is missing (the panel
    sees which). svc-policy down: 503 and nothing written, like every calculator call."""
    code = call["eligibility_policy"]
    if not code:
        return None
    kind = call["program_applicant_kind"]
    try:
        calc = await calculator.calculate(kind, applicant_id, code, today)
    except PolicyUnavailable as exc:
        raise PolicyCalculatorUnavailable(f"政策计算器暂不可用（{exc}），申报未受理，请稍后重试") from exc
    except NotComputable as exc:
        raise ApplicantNotOnFile(
            f"无法按申报条件（政策 {code}）计算该申报人：{exc}。请先在{'人才库' if kind == 'talent' else '团队库'}登记档案",
            field="applicant_id",
            upstream_code=exc.upstream_code,
        ) from exc
    if calc is None:
        raise EligibilityPolicyNotInForce(
            f"批次的申报条件政策 {code} 在 {today.isoformat()} 不在有效期内（或不适用于此类申报人），请主管部门修正批次",
            eligibility_policy=code,
        )
    if calc.status in ("ineligible", "excluded", "error"):
        failed = calc.failed_labels or ([calc.reason] if calc.reason else [])
        raise ApplicantNotEligible(
            f"按批次的申报条件（政策 {code} 第 {calc.version} 版）申报人不符合：{'、'.join(failed) or '条件未满足'}",
            field="applicant_id",
            failed_criteria=failed,
            policy_code=code,
        )
    return {
        "policy_code": code,
        "version": calc.version,
        "status": calc.status,
        "evaluated_on": today.isoformat(),
        "criteria": [
            {"label": c.get("label") or c.get("id"), "state": c.get("state"), "reason": c.get("reason")}
            for c in calc.criteria
        ],
    }


async def apply(
    session: AsyncSession,
    call_id: uuid.UUID,
    body: ProgramApplicationIn,
    principal: Principal,
    calculator: PolicyCalculator,
) -> ProgramApplicationOut:
    call = await require_call(session, call_id)
    # Staff applying for a talent: of the program's department (partners and the applicant's channels pass).
    ensure_program_department(
        principal,
        call["department"],
        entity_type="program_call",
        entity_id=str(call_id),
        action="application.submit",
    )
    today = local_today()
    if not _accepting(call):
        raise CallNotOpen(
            f"{call['title']} 的申报时间为 {call['opens_on'].isoformat()} 至 {call['closes_on'].isoformat()}"
            f"（北京时间），今天 {today.isoformat()} 不在申报期内"
            + ("" if call["status"] == "open" else "（批次已关闭）"),
            opens_on=call["opens_on"].isoformat(),
            closes_on=call["closes_on"].isoformat(),
            today=today.isoformat(),
        )
    if body.category not in {c["code"] for c in call["categories"]}:
        raise UnknownCategory(f"类别 {body.category} 不在本批次中", field="category")
    levels = {f["code"]: f for f in call["funding_levels"]}
    level = levels.get(body.funding_level)
    if level is None:
        raise UnknownFundingLevel(f"资助档次 {body.funding_level} 不在本批次中", field="funding_level")
    if body.requested_amount_fen > level["max_amount_fen"]:
        raise OverFundingLevel(
            f"申请金额超过{level['title']}上限 {level['max_amount_fen']} 分",
            field="requested_amount_fen",
            max_amount_fen=level["max_amount_fen"],
        )
    if await repo.application_by_applicant(session, call_id, body.applicant_id) is not None:
        raise AlreadyApplied(f"{body.applicant_name} 已申报本批次", field="applicant_id")
    admitted_on = await eligibility(calculator, call, body.applicant_id, today)
    row = await repo.insert_application(
        session,
        {
            "id": uuid.uuid4(),
            "call_id": call_id,
            "applicant_id": body.applicant_id,
            "applicant_name": body.applicant_name,
            "company_uscc": body.company_uscc,
            "company_name": body.company_name,
            "category": body.category,
            "funding_level": body.funding_level,
            "requested_amount_fen": body.requested_amount_fen,
            "plan": mask_pii(body.plan),
            "submitted_by": principal.subject,
            "eligibility": admitted_on,
        },
    )
    if row is None:
        raise AlreadyApplied(f"{body.applicant_name} 已申报本批次", field="applicant_id")
    await add_event(
        session,
        SOURCE,
        ProgramApplicationSubmitted(
            application_id=str(row["id"]),
            call_id=str(call_id),
            program_code=call["program_code"],
            year=call["year"],
            applicant_kind=call["program_applicant_kind"],
            applicant_id=row["applicant_id"],
            company_uscc=row["company_uscc"],
            category=row["category"],
            funding_level=row["funding_level"],
            requested_amount_fen=row["requested_amount_fen"],
            submitted_at=row["created_at"],
        ),
        subject=str(row["id"]),
    )
    return application_view(row)


async def require_application(session: AsyncSession, application_id: uuid.UUID) -> RowMapping:
    row = await repo.get_application(session, application_id)
    if row is None:
        raise ProgramApplicationNotFound("人才计划申报不存在")
    return row


async def readable_application(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal
) -> RowMapping:
    """The application, for whoever may read its call (:func:`readable_call`: the program's department, the call's
    panel experts who judge it, admins, partners); other staff are refused (403, audited by the endpoint)."""
    row = await require_application(session, application_id)
    await readable_call(session, row["call_id"], principal)
    return row


async def list_applications(
    session: AsyncSession, call_id: uuid.UUID, principal: Principal
) -> list[ProgramApplicationOut]:
    await readable_call(session, call_id, principal)
    return [application_view(r) for r in await repo.applications_of(session, call_id)]


# --- expert review -------------------------------------------------------------------------------------------------


async def _ensure_on_panel(
    session: AsyncSession, call: RowMapping, principal: Principal, action: str
) -> None:
    if principal.subject not in await repo.panel(session, call["id"]):
        raise NotOnPanel(
            "您不是本批次评审组成员",
            entity_type="program_call",
            entity_id=str(call["id"]),
            action=action,
        )


async def declare_conflict(
    session: AsyncSession, call_id: uuid.UUID, body: ConflictIn, principal: Principal
) -> ConflictOut:
    call = await require_call(session, call_id)
    await _ensure_on_panel(session, call, principal, "conflict.declare")
    party = body.company_uscc or body.applicant_id
    assert party is not None  # the schema requires one of them
    if await repo.has_scored_party(session, call_id, principal.subject, party):
        raise ScoredBeforeDeclaring(
            "您已为该申报人或企业打分，不能再申报回避；请联系主管部门", field="company_uscc"
        )
    row = await repo.declare_conflict(
        session,
        {"call_id": call_id, "expert": principal.subject, "party": party, "reason": mask_pii(body.reason)},
    )
    return ConflictOut.model_validate(dict(row))


async def score(
    session: AsyncSession, application_id: uuid.UUID, body: ScoreIn, principal: Principal
) -> ScoreOut:
    application = await require_application(session, application_id)
    call = await require_call(session, application["call_id"])
    await _ensure_on_panel(session, call, principal, "application.score")
    conflicts = await repo.conflicts_of(session, call["id"])
    parties = {application["applicant_id"], application["company_uscc"]} - {None}
    declared = sorted(p for e, p in conflicts if e == principal.subject and p in parties)
    if declared:
        raise ConflictOfInterest(
            "您已申报与该申报人或其企业存在利益冲突，须回避，不能打分",
            entity_type="program_application",
            entity_id=str(application_id),
            action="application.score",
            declared=declared,
        )
    if call["status"] in ("selected", "public_notice"):
        raise AlreadySelected("本批次已遴选，不能再打分")
    row = await repo.insert_score(
        session,
        {
            "application_id": application_id,
            "expert": principal.subject,
            "score": body.score,
            "comment": None if body.comment is None else mask_pii(body.comment),
        },
    )
    if row is None:
        raise AlreadyScored("您已为该申报打过分，每位专家只打一次", field="score")
    return ScoreOut.model_validate(dict(row))


# --- ranking -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    application_id: uuid.UUID
    category: str
    rank: int
    normalised: float
    mean_raw: float
    scores: int
    expected: int


def z_scores(scores: list[tuple[uuid.UUID, str, int]]) -> dict[uuid.UUID, list[float]]:
    """Each expert's scores as z-scores over what that expert scored (population standard deviation; all equal → 0),
    grouped by application."""
    by_expert: dict[str, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for application_id, expert, value in scores:
        by_expert[expert].append((application_id, value))
    out: dict[uuid.UUID, list[float]] = defaultdict(list)
    for given in by_expert.values():
        mean = sum(v for _, v in given) / len(given)
        sd = math.sqrt(sum((v - mean) ** 2 for _, v in given) / len(given))
        for application_id, value in given:
            out[application_id].append((value - mean) / sd if sd > 0 else 0.0)
    return out


def rank(
    applications: list[tuple[uuid.UUID, str, set[str]]],
    scores: list[tuple[uuid.UUID, str, int]],
    panel: list[str],
    conflicts: set[tuple[str, str]],
) -> list[Ranked]:
    """Rank ``applications`` (id, category, parties) per category; the order given is the submission order."""
    z = z_scores(scores)
    raw: dict[uuid.UUID, list[int]] = defaultdict(list)
    for application_id, _, value in scores:
        raw[application_id].append(value)
    rows = []
    for order, (application_id, category, parties) in enumerate(applications):
        expected = sum(1 for e in panel if not any((e, p) in conflicts for p in parties))
        zs = z.get(application_id, [])
        normalised = sum(zs) / len(zs) if zs else -math.inf
        mean_raw = sum(raw[application_id]) / len(raw[application_id]) if raw[application_id] else 0.0
        rows.append(
            (category, -normalised, -mean_raw, order, application_id, normalised, mean_raw, len(zs), expected)
        )
    rows.sort(key=lambda r: r[:4])
    ranked: list[Ranked] = []
    position: dict[str, int] = defaultdict(int)
    for category, _, _, _, application_id, normalised, mean_raw, n, expected in rows:
        position[category] += 1
        ranked.append(Ranked(application_id, category, position[category], normalised, mean_raw, n, expected))
    return ranked


async def _ranking(
    session: AsyncSession, call: RowMapping
) -> tuple[list[Ranked], dict[uuid.UUID, RowMapping]]:
    applications = await repo.applications_of(session, call["id"])
    scores = await repo.scores_of(session, call["id"])
    ranked = rank(
        [(a["id"], a["category"], {a["applicant_id"], a["company_uscc"]} - {None}) for a in applications],
        [(s["application_id"], s["expert"], s["score"]) for s in scores],
        await repo.panel(session, call["id"]),
        await repo.conflicts_of(session, call["id"]),
    )
    return ranked, {a["id"]: a for a in applications}


def quotas(call: RowMapping) -> dict[str, int]:
    """Each category's quota (入选名额)."""
    return _quotas(call)


def _quotas(call: RowMapping) -> dict[str, int]:
    return {c["code"]: c["quota"] for c in call["categories"]}


async def ranking(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> RankingOut:
    call = await readable_call(session, call_id, principal)
    ranked, applications = await _ranking(session, call)
    quotas = _quotas(call)
    categories: dict[str, list[RankedApplication]] = {c: [] for c in quotas}
    for r in ranked:
        a = applications[r.application_id]
        categories.setdefault(r.category, []).append(
            RankedApplication(
                application_id=r.application_id,
                applicant_name=a["applicant_name"],
                company_name=a["company_name"],
                category=r.category,
                rank=r.rank,
                normalised_score=round(r.normalised, 6) if r.scores else 0.0,
                mean_raw_score=round(r.mean_raw, 4),
                scores=r.scores,
                expected_scores=r.expected,
                within_quota=r.rank <= quotas.get(r.category, 0),
            )
        )
    return RankingOut(
        call_id=call_id, complete=all(r.scores >= r.expected for r in ranked), categories=categories
    )


# --- selection and 公示 ----------------------------------------------------------------------------------------------


async def select(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> RankingOut:
    call = await _managed_call(session, call_id, principal, "call.select")
    panel = await repo.panel(session, call_id)
    if principal.subject in panel:
        raise SamePerson(
            "您是本批次评审专家，遴选须由评审组以外的审批人办理",
            entity_type="program_call",
            entity_id=str(call_id),
            action="call.select",
            stages_taken=["expert_review"],
        )
    if call["status"] in ("selected", "public_notice"):
        raise AlreadySelected("本批次已遴选")
    if call["status"] == "open" and local_today() <= call["closes_on"]:
        raise CallNotClosed(f"申报截止日为 {call['closes_on'].isoformat()}，截止后方可遴选")
    ranked, applications = await _ranking(session, call)
    missing = [r for r in ranked if r.scores < r.expected]
    if missing:
        raise ReviewIncomplete(
            f"还有 {len(missing)} 份申报未完成评审",
            application_ids=[str(r.application_id) for r in missing],
        )
    quotas = _quotas(call)
    now = datetime.now(UTC)
    selected = 0
    for r in ranked:
        chosen = r.rank <= quotas.get(r.category, 0)
        await repo.set_outcome(
            session,
            r.application_id,
            status="selected" if chosen else "not_selected",
            rank=r.rank,
            normalised=r.normalised if r.scores else None,
        )
        if not chosen:
            continue
        selected += 1
        await publish_selected(session, call, applications[r.application_id], r.rank, principal.subject, now)
    await repo.update_call(
        session, call_id, status="selected", selected_by=principal.subject, selected_at=now
    )
    await audit.append(
        session,
        actor=principal.subject,
        action="program_call.selected",
        entity_type="program_call",
        entity_id=str(call_id),
        data={"selected": selected, "quotas": quotas, "applications": len(ranked)},
    )
    return await ranking(session, call_id, principal)


async def publish_selected(
    session: AsyncSession, call: RowMapping, a: RowMapping, rank: int, selected_by: str, at: datetime
) -> None:
    """``kunruyi.disbursement.program.selected`` for application ``a`` of ``call`` (at selection, or when it moves
    up after an upheld 公示 objection)."""
    levels = {f["code"]: f for f in call["funding_levels"]}
    await add_event(
        session,
        SOURCE,
        ProgramSelected(
            application_id=str(a["id"]),
            call_id=str(call["id"]),
            program_code=call["program_code"],
            program_title=call["program_title"],
            department=call["department"],
            year=call["year"],
            applicant_kind=call["program_applicant_kind"],
            applicant_id=a["applicant_id"],
            company_uscc=a["company_uscc"],
            category=a["category"],
            funding_level=a["funding_level"],
            funding_level_max_fen=levels[a["funding_level"]]["max_amount_fen"],
            requested_amount_fen=a["requested_amount_fen"],
            rank=rank,
            selected_by=selected_by,
            selected_at=at,
        ),
        subject=str(a["id"]),
    )


async def publish_notice(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> NoticeOut:
    call = await _managed_call(session, call_id, principal, "call.notice")
    if call["status"] == "public_notice":
        return await notice(session, call_id)
    if call["status"] != "selected":
        raise NotSelectedYet("本批次尚未遴选，不能公示")
    starts = local_today()
    ends = starts + timedelta(days=call["notice_days"])
    await repo.update_call(
        session, call_id, status="public_notice", notice_starts_on=starts, notice_ends_on=ends
    )
    selected = sum(1 for a in await repo.applications_of(session, call_id) if a["status"] == "selected")
    await add_event(
        session,
        SOURCE,
        ProgramNoticePublished(
            call_id=str(call_id),
            program_code=call["program_code"],
            year=call["year"],
            notice_starts_on=starts,
            notice_ends_on=ends,
            selected=selected,
        ),
        subject=str(call_id),
    )
    return await notice(session, call_id)


def in_notice_period(call: RowMapping) -> bool:
    """The 公示 runs from ``notice_starts_on`` for ``notice_days`` days, by Kunshan's date: objections are taken
    while ``notice_starts_on <= today < notice_ends_on``; from ``notice_ends_on`` on, funding agreements may be
    signed (``notice_days`` 0: no objection period)."""
    return bool(
        call["status"] == "public_notice"
        and call["notice_starts_on"] <= local_today() < call["notice_ends_on"]
    )


def notice_over(call: RowMapping) -> bool:
    """The 公示 has been published and has ended (see :func:`in_notice_period`)."""
    return bool(call["status"] == "public_notice" and local_today() >= call["notice_ends_on"])


async def notice(session: AsyncSession, call_id: uuid.UUID, *, public: bool = False) -> NoticeOut:
    call = await require_call(session, call_id)
    if call["status"] not in ("selected", "public_notice") or (public and call["status"] != "public_notice"):
        raise NoticeNotPublished("本批次的入选名单尚未公示")
    titles = {c["code"]: c["title"] for c in call["categories"]}
    entries = sorted(
        (
            NoticeEntry(
                application_id=a["id"],
                applicant_name=a["applicant_name"],
                company_name=a["company_name"],
                category=a["category"],
                category_title=titles.get(a["category"], a["category"]),
                funding_level=a["funding_level"],
                rank=a["rank"],
            )
            for a in await repo.applications_of(session, call_id)
            if a["status"] == "selected"
        ),
        key=lambda e: (e.category, e.rank),
    )
    return NoticeOut(
        call_id=call_id,
        program_title=call["program_title"],
        call_title=call["title"],
        status=call["status"],
        notice_starts_on=call["notice_starts_on"],
        notice_ends_on=call["notice_ends_on"],
        accepting_objections=in_notice_period(call),
        entries=entries,
    )
