"""Funding agreements (资助协议): staged funding of a selected program application, and 绩效评估.

- A selected application gets one agreement (the program department's officer): its tranches in order, each tied
  to a milestone — ``company_registered`` (企业在昆山注册), ``first_revenue``, ``headcount`` (a target),
  ``assessment_passed`` (a year's 绩效评估). The total is the tranches' sum, at most the funding level's maximum.
- 未落地先评审: an application without a company must have a ``company_registered`` tranche; and while an agreement's
  registration milestone is unconfirmed, no other milestone is confirmed and no other tranche released (409
  ``company_not_registered``, audited). Confirming registration records the company the money is paid to.
- Milestones are confirmed by the department's staff with an evidence note (stored with personal data masked);
  ``assessment_passed`` ones only by recording a passed assessment of that year.
- A confirmed (``due``) tranche is released by an approver of the department who did not confirm its milestone
  (four eyes, 409 ``same_person``). The release is a disbursement of the program's budget (policy code
  ``PROGRAM-<program code>``, the release's fiscal year) to the company: the budget is reserved (a pending ledger
  transfer) and the payment worker pays it through the bank exactly once, as every disbursement. A release
  retried with the same ``Idempotency-Key`` returns the first answer; otherwise a second release is refused.
- Refused, nothing paid, and written to the audit log: before the milestone (``milestone_not_confirmed``), twice
  (``tranche_already_released``), above the tranche or the agreement's remainder (``over_agreement_total``), while
  paused (``agreement_paused``) or after the end (``agreement_ended``), by another department
  (``other_department``).

State machine of an agreement (tranches in brackets)::

    active ──fail+pause──▶ paused ──pass (a later year)──▶ active
    active | paused ──fail+terminate──▶ terminated   [pending | due → cancelled]
    active ──last tranche released──▶ completed
    tranche: pending ──milestone confirmed──▶ due ──released──▶ released;  pending | due ──terminated──▶ cancelled

One assessment per agreement per year (409 ``assessment_exists``); a pass confirms that year's
``assessment_passed`` tranches and resumes a paused agreement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_date, local_today
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import mask_pii
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_program_department
from kunruyi_disbursement.agreements import repository as repo
from kunruyi_disbursement.agreements.events import (
    ProgramAccepted,
    ProgramAgreementEnded,
    ProgramTrancheReleased,
)
from kunruyi_disbursement.agreements.exceptions import (
    AcceptanceExists,
    AcceptanceNotDue,
    AcceptanceResultInvalid,
    AgreementEnded,
    AgreementExists,
    AgreementNotFound,
    AgreementPaused,
    ApplicationNotSelected,
    AssessmentExists,
    CompanyUsccRequired,
    FailExplanationRequired,
    GreenChannelNotReached,
    MilestoneAlreadyConfirmed,
    MilestoneByAssessment,
    MilestoneNotConfirmed,
    MilestoneTargetRequired,
    NoticePeriodNotOver,
    NotLanded,
    OpenObjection,
    OverAgreementTotal,
    RegistrationTrancheRequired,
    TrancheAlreadyReleased,
    TrancheNotFound,
    TranchesOverFundingLevel,
)
from kunruyi_disbursement.agreements.schemas import (
    MILESTONE_TITLES,
    AcceptanceIn,
    AcceptanceOut,
    AgreementIn,
    AgreementOut,
    AssessmentIn,
    AssessmentOut,
    ConfirmIn,
    GreenChannelOut,
    GreenQualification,
    ReleaseIn,
    TrancheOut,
)
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.directory import repository as directory
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.exceptions import SamePerson
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.objections import repository as objections
from kunruyi_disbursement.policies.schemas import PolicyData
from kunruyi_disbursement.policies.service import get_policy, upsert_policy
from kunruyi_disbursement.programs import service as programs

REGISTRATION = "company_registered"
# 验收 green channel: a company that reached one of these during the program passes without the regular review
# (小巨人 counts as 专精特新).
GREEN_QUALIFICATIONS = (
    "high_tech",
    "specialized_sme",
    "little_giant",
    "gazelle",
    "unicorn_candidate",
    "above_scale",
)
_QUALIFICATION_NAMES = {t.code: t.name for t in TAXONOMY.qualifications}


def budget_policy_code(program_code: str) -> str:
    """The policy code of a program's budget: finance funds it per fiscal year like any policy's."""
    return f"PROGRAM-{program_code}"


# --- views ---------------------------------------------------------------------------------------------------------


def _landed(agreement: RowMapping, tranches: list[RowMapping] | Any) -> bool:
    registration = [t for t in tranches if t["milestone"] == REGISTRATION]
    if registration:
        return all(t["status"] in ("due", "released") for t in registration)
    return agreement["company_uscc"] is not None


async def view(session: AsyncSession, agreement_id: uuid.UUID) -> AgreementOut:
    a = await require_agreement(session, agreement_id)
    tranches = await repo.tranches_of(session, agreement_id)
    acceptance = await repo.acceptance_of(session, agreement_id)
    return AgreementOut(
        id=a["id"],
        application_id=a["application_id"],
        call_id=a["call_id"],
        policy_code=a["policy_code"],
        department=a["department"],
        applicant_id=a["applicant_id"],
        applicant_name=a["applicant_name"],
        company_uscc=a["company_uscc"],
        company_name=a["company_name"],
        landed=_landed(a, tranches),
        funding_level=a["funding_level"],
        total_fen=a["total_fen"],
        released_fen=a["released_fen"],
        status=a["status"],
        status_reason=a["status_reason"],
        tranches=[
            TrancheOut(
                seq=t["seq"],
                milestone=t["milestone"],
                milestone_title=MILESTONE_TITLES[t["milestone"]],
                target=t["target"],
                assessment_year=t["assessment_year"],
                amount_fen=t["amount_fen"],
                status=t["status"],
                evidence=t["evidence"],
                confirmed_by=t["confirmed_by"],
                confirmed_at=t["confirmed_at"],
                released_fen=t["released_fen"],
                released_by=t["released_by"],
                released_at=t["released_at"],
                disbursement_id=t["disbursement_id"],
                disbursement_status=t["disbursement_status"],
            )
            for t in tranches
        ],
        assessments=[
            AssessmentOut.model_validate(dict(r)) for r in await repo.assessments_of(session, agreement_id)
        ],
        acceptance=None if acceptance is None else AcceptanceOut.model_validate(dict(acceptance)),
        green_channel=await green_channel(session, a),
        created_at=a["created_at"],
    )


async def green_channel(session: AsyncSession, agreement: RowMapping) -> GreenChannelOut:
    """Whether the company reached 高企/专精特新/瞪羚/独角兽培育/规上 during the program — from the call's selection
    (Kunshan's date) to today — by the qualification dates of svc-talent's enterprise events (the directory read
    model), with the reason the officer reads."""
    call = await programs.require_call(session, agreement["call_id"])
    since = None if call["selected_at"] is None else local_date(call["selected_at"])
    uscc = agreement["company_uscc"]
    if uscc is None or since is None:
        return GreenChannelOut(
            eligible=False, since=since, reached=[], why="企业尚未在昆山注册，没有可核对的资质"
        )
    today = local_today()
    dates = await directory.qualification_dates(session, uscc)
    reached = []
    for kind in GREEN_QUALIFICATIONS:
        granted = (dates.get(kind) or {}).get("granted_on")
        if granted is None:
            continue
        granted_on = date.fromisoformat(granted)
        if since <= granted_on <= today:
            reached.append(
                GreenQualification(
                    kind=kind, name=_QUALIFICATION_NAMES.get(kind, kind), granted_on=granted_on
                )
            )
    if reached:
        why = (
            f"计划期（{since.isoformat()} 起）内企业获得"
            + "、".join(f"{q.name}（{q.granted_on.isoformat()} 认定）" for q in reached)
            + "，验收可走绿色通道，免常规评审"
        )
    else:
        held = [_QUALIFICATION_NAMES.get(k, k) for k in GREEN_QUALIFICATIONS if k in dates]
        why = (
            f"一企一档中没有企业在计划期（{since.isoformat()} 起）内获得高企、专精特新、瞪羚、独角兽培育或规上资质"
            + (f"（{'、'.join(held)}为计划期前认定）" if held else "")
            + "，须常规验收"
        )
    return GreenChannelOut(eligible=bool(reached), since=since, reached=reached, why=why)


async def require_agreement(
    session: AsyncSession, agreement_id: uuid.UUID, *, lock: bool = False
) -> RowMapping:
    row = await repo.get_agreement(session, agreement_id, lock=lock)
    if row is None:
        raise AgreementNotFound("资助协议不存在")
    return row


async def list_for_call(
    session: AsyncSession, call_id: uuid.UUID, principal: Principal
) -> list[AgreementOut]:
    await programs.readable_call(session, call_id, principal)
    return [await view(session, a["id"]) for a in await repo.agreements_of_call(session, call_id)]


async def readable_view(session: AsyncSession, agreement_id: uuid.UUID, principal: Principal) -> AgreementOut:
    """The agreement, for whoever may read its call (``programs.readable_call``); other staff: 403, audited."""
    agreement = await require_agreement(session, agreement_id)
    await programs.readable_call(session, agreement["call_id"], principal)
    return await view(session, agreement_id)


# --- the agreement -------------------------------------------------------------------------------------------------


async def create(
    session: AsyncSession, application_id: uuid.UUID, body: AgreementIn, principal: Principal
) -> AgreementOut:
    application = await programs.require_application(session, application_id)
    call = await programs.require_call(session, application["call_id"])
    ensure_program_department(
        principal,
        call["department"],
        entity_type="program_application",
        entity_id=str(application_id),
        action="agreement.create",
    )
    if application["status"] != "selected":
        raise ApplicationNotSelected("该申报未入选，不能签订资助协议")
    open_objections = await objections.open_objections(session, application_id)
    if open_objections:
        raise OpenObjection(
            f"该入选申报有 {open_objections} 件公示异议尚未处理，处理完毕后方可签订资助协议",
            open_objections=open_objections,
        )
    if not programs.notice_over(call):
        raise NoticePeriodNotOver(
            "入选名单尚未公示，不能签订资助协议"
            if call["notice_ends_on"] is None
            else f"公示期至 {call['notice_ends_on'].isoformat()} 前（北京时间），公示结束后方可签订资助协议",
            notice_ends_on=None if call["notice_ends_on"] is None else call["notice_ends_on"].isoformat(),
        )
    for i, t in enumerate(body.tranches):
        if t.milestone == "headcount" and t.target is None:
            raise MilestoneTargetRequired("用工人数里程碑须填写目标人数", field=f"tranches.{i}.target")
        if t.milestone == "assessment_passed" and t.assessment_year is None:
            raise MilestoneTargetRequired(
                "年度考核里程碑须填写考核年度", field=f"tranches.{i}.assessment_year"
            )
    total = sum(t.amount_fen for t in body.tranches)
    level = next(f for f in call["funding_levels"] if f["code"] == application["funding_level"])
    if total > level["max_amount_fen"]:
        raise TranchesOverFundingLevel(
            f"协议总额 {total} 分超过{level['title']}上限 {level['max_amount_fen']} 分",
            field="tranches",
            total_fen=total,
            max_amount_fen=level["max_amount_fen"],
        )
    if application["company_uscc"] is None and not any(t.milestone == REGISTRATION for t in body.tranches):
        raise RegistrationTrancheRequired(
            "申报时企业尚未在昆山注册（未落地先评审），协议须含“企业在昆山注册”里程碑", field="tranches"
        )
    code = budget_policy_code(call["program_code"])
    if await get_policy(session, code) is None:
        await upsert_policy(
            session,
            PolicyData(
                code=code,
                title=f"{call['program_title']}资助",
                department=call["department"],
                mode="application",
                beneficiary="enterprise",
            ),
            source="local",
        )
    agreement_id = uuid.uuid4()
    row = await repo.insert_agreement(
        session,
        {
            "id": agreement_id,
            "application_id": application_id,
            "call_id": call["id"],
            "policy_code": code,
            "department": call["department"],
            "applicant_id": application["applicant_id"],
            "applicant_name": application["applicant_name"],
            "company_uscc": application["company_uscc"],
            "company_name": application["company_name"],
            "funding_level": application["funding_level"],
            "total_fen": total,
            "created_by": principal.subject,
        },
    )
    if row is None:
        raise AgreementExists("该入选申报已签订资助协议")
    await repo.insert_tranches(
        session,
        [
            {
                "id": uuid.uuid4(),
                "agreement_id": agreement_id,
                "seq": n,
                "milestone": t.milestone,
                "target": t.target,
                "assessment_year": t.assessment_year,
                "amount_fen": t.amount_fen,
            }
            for n, t in enumerate(body.tranches, start=1)
        ],
    )
    await audit.append(
        session,
        actor=principal.subject,
        action="funding_agreement.created",
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        data={
            "application_id": str(application_id),
            "total_fen": total,
            "tranches": [[t.milestone, t.amount_fen] for t in body.tranches],
        },
    )
    return await view(session, agreement_id)


async def _locked(
    session: AsyncSession, agreement_id: uuid.UUID, seq: int | None, principal: Principal, action: str
) -> tuple[RowMapping, list[RowMapping], RowMapping | None]:
    """The agreement (locked, after the department check), its tranches, and tranche ``seq``."""
    agreement = await require_agreement(session, agreement_id, lock=True)
    ensure_program_department(
        principal,
        agreement["department"],
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        action=action,
    )
    tranches = list(await repo.tranches_of(session, agreement_id))
    if seq is None:
        return agreement, tranches, None
    tranche = next((t for t in tranches if t["seq"] == seq), None)
    if tranche is None:
        raise TrancheNotFound(f"资助协议没有第 {seq} 期")
    return agreement, tranches, tranche


async def _event_base(session: AsyncSession, agreement_id: uuid.UUID) -> dict[str, Any]:
    """The fields every agreement event carries, as the agreement stands now (after this request's updates)."""
    a = await require_agreement(session, agreement_id)
    call = await programs.require_call(session, a["call_id"])
    return {
        "agreement_id": str(a["id"]),
        "application_id": str(a["application_id"]),
        "call_id": str(a["call_id"]),
        "program_code": call["program_code"],
        "year": call["year"],
        "applicant_id": a["applicant_id"],
        "company_uscc": a["company_uscc"],
        "total_fen": a["total_fen"],
        "released_fen": a["released_fen"],
    }


async def _end(
    session: AsyncSession,
    agreement_id: uuid.UUID,
    tranches: list[RowMapping],
    *,
    reason: str,
    why: str,
    by: str,
    at: datetime,
) -> None:
    """Terminate the agreement: its open tranches cancelled, ``kunruyi.disbursement.program.agreement_ended``."""
    cancelled = 0
    for t in tranches:
        if t["status"] in ("pending", "due"):
            cancelled += t["amount_fen"]
            await repo.update_tranche(session, t["id"], status="cancelled")
    await repo.update_agreement(session, agreement_id, status="terminated", status_reason=why)
    await add_event(
        session,
        programs.SOURCE,
        ProgramAgreementEnded(
            **await _event_base(session, agreement_id),
            reason=reason,
            cancelled_fen=cancelled,
            ended_by=by,
            ended_at=at,
        ),
        subject=str(agreement_id),
    )


def _refusal_context(agreement: RowMapping, tranche: RowMapping, action: str) -> dict[str, Any]:
    return {
        "entity_type": "funding_agreement",
        "entity_id": str(agreement["id"]),
        "action": action,
        "tranche": tranche["seq"],
    }


def _ensure_not_ended(agreement: RowMapping, tranche: RowMapping, action: str) -> None:
    if agreement["status"] == "terminated" or tranche["status"] == "cancelled":
        raise AgreementEnded(
            f"资助协议已终止（{agreement['status_reason'] or '绩效评估未通过'}），剩余期次不再拨付",
            **_refusal_context(agreement, tranche, action),
        )


# --- milestones ----------------------------------------------------------------------------------------------------


async def confirm(
    session: AsyncSession, agreement_id: uuid.UUID, seq: int, body: ConfirmIn, principal: Principal
) -> AgreementOut:
    action = "tranche.confirm"
    agreement, tranches, tranche = await _locked(session, agreement_id, seq, principal, action)
    assert tranche is not None
    _ensure_not_ended(agreement, tranche, action)
    if tranche["status"] != "pending":
        raise MilestoneAlreadyConfirmed(f"第 {seq} 期的里程碑已确认")
    if tranche["milestone"] == "assessment_passed":
        raise MilestoneByAssessment("“年度绩效评估通过”里程碑由录入通过的绩效评估确认")
    if tranche["milestone"] != REGISTRATION and not _landed(agreement, tranches):
        raise NotLanded(
            "企业尚未确认在昆山注册（未落地先评审），其他里程碑须待注册里程碑确认后办理",
            **_refusal_context(agreement, tranche, action),
        )
    if tranche["milestone"] == REGISTRATION:
        uscc = agreement["company_uscc"] or body.company_uscc
        if uscc is None:
            raise CompanyUsccRequired("请填写在昆山新注册企业的统一社会信用代码", field="company_uscc")
        if agreement["company_uscc"] is None:
            await repo.update_agreement(
                session, agreement_id, company_uscc=uscc, company_name=body.company_name
            )
    now = datetime.now(UTC)
    evidence = mask_pii(body.evidence)
    await repo.update_tranche(
        session,
        tranche["id"],
        status="due",
        evidence=evidence,
        confirmed_by=principal.subject,
        confirmed_at=now,
    )
    await audit.append(
        session,
        actor=principal.subject,
        action="funding_tranche.milestone_confirmed",
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        data={"tranche": seq, "milestone": tranche["milestone"], "evidence": evidence},
    )
    return await view(session, agreement_id)


# --- release -------------------------------------------------------------------------------------------------------


async def release(
    session: AsyncSession, agreement_id: uuid.UUID, seq: int, body: ReleaseIn, principal: Principal
) -> AgreementOut:
    action = "tranche.release"
    agreement, tranches, tranche = await _locked(session, agreement_id, seq, principal, action)
    assert tranche is not None
    context = _refusal_context(agreement, tranche, action)
    _ensure_not_ended(agreement, tranche, action)
    if tranche["status"] == "released":
        raise TrancheAlreadyReleased(
            f"第 {seq} 期已于 {tranche['released_at'].isoformat()} 拨付，不能再拨",
            disbursement_id=str(tranche["disbursement_id"]),
            **context,
        )
    if agreement["status"] == "paused":
        raise AgreementPaused(
            f"资助协议已暂停（{agreement['status_reason']}），剩余期次待下一年度绩效评估通过后恢复", **context
        )
    if agreement["status"] == "completed":
        raise AgreementEnded("资助协议已全部拨付", **context)
    if tranche["status"] == "pending":
        if tranche["milestone"] != REGISTRATION and not _landed(agreement, tranches):
            raise NotLanded("企业尚未确认在昆山注册（未落地先评审），不能拨付", **context)
        raise MilestoneNotConfirmed(
            f"第 {seq} 期的里程碑（{MILESTONE_TITLES[tranche['milestone']]}）尚未确认，不能拨付",
            milestone=tranche["milestone"],
            **context,
        )
    if tranche["confirmed_by"] == principal.subject:
        raise SamePerson(
            "该期次的里程碑由您确认，拨付须由另一位审批人办理",
            stages_taken=["milestone_confirmed"],
            **context,
        )
    amount = body.amount_fen if body.amount_fen is not None else tranche["amount_fen"]
    remaining = agreement["total_fen"] - agreement["released_fen"]
    if amount > tranche["amount_fen"] or amount > remaining:
        raise OverAgreementTotal(
            f"拨付金额 {amount} 分超过本期金额 {tranche['amount_fen']} 分或协议剩余额度 {remaining} 分",
            field="amount_fen",
            tranche_amount_fen=tranche["amount_fen"],
            remaining_fen=remaining,
            **context,
        )
    uscc = agreement["company_uscc"]
    assert (
        uscc is not None
    )  # landed: a registration milestone confirmed, or a company named on the application
    fiscal_year = local_today().year
    d = await create_disbursement(
        session,
        mode="application",
        policy_code=agreement["policy_code"],
        policy_version=None,
        department=agreement["department"],
        district=None,
        entity_type="enterprise",
        entity_id=uscc,
        period=f"{agreement_id}-T{seq}",
        fiscal_year=fiscal_year,
        amount_fen=amount,
        approved_by=principal.subject,
    )
    if d is None:  # the agreement's lock makes this unreachable; kept as the last guard against paying twice
        raise TrancheAlreadyReleased(f"第 {seq} 期已拨付，不能再拨", **context)
    now = datetime.now(UTC)
    await repo.update_tranche(
        session,
        tranche["id"],
        status="released",
        released_fen=amount,
        released_by=principal.subject,
        released_at=now,
        disbursement_id=d.id,
    )
    released = agreement["released_fen"] + amount
    open_left = [t for t in tranches if t["status"] in ("pending", "due") and t["seq"] != seq]
    await repo.update_agreement(
        session,
        agreement_id,
        released_fen=released,
        **({"status": "completed"} if not open_left else {}),
    )
    await audit.append(
        session,
        actor=principal.subject,
        action="funding_tranche.released",
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        data={
            "tranche": seq,
            "amount_fen": amount,
            "disbursement_id": str(d.id),
            "disbursement_status": d.status,
            "budget": ledger.budget_code(agreement["policy_code"], fiscal_year),
            "comment": None if body.comment is None else mask_pii(body.comment),
        },
    )
    await add_event(
        session,
        programs.SOURCE,
        ProgramTrancheReleased(
            **await _event_base(session, agreement_id),
            seq=seq,
            milestone=tranche["milestone"],
            amount_fen=amount,
            disbursement_id=str(d.id),
            released_by=principal.subject,
            released_at=now,
        ),
        subject=f"{agreement_id}-T{seq}",
    )
    return await view(session, agreement_id)


# --- 绩效评估 ---------------------------------------------------------------------------------------------------------


async def assess(
    session: AsyncSession, agreement_id: uuid.UUID, body: AssessmentIn, principal: Principal
) -> AgreementOut:
    agreement, tranches, _ = await _locked(session, agreement_id, None, principal, "assessment.record")
    if body.result == "fail" and not body.reason:
        raise FailExplanationRequired("考核不通过须填写原因", field="reason")
    if body.result == "fail" and body.consequence is None:
        raise FailExplanationRequired(
            "考核不通过须选择处理：pause 暂停或 terminate 终止", field="consequence"
        )
    if agreement["status"] == "terminated":
        raise AgreementEnded(
            "资助协议已终止",
            entity_type="funding_agreement",
            entity_id=str(agreement_id),
            action="assessment.record",
        )
    reason = None if body.reason is None else mask_pii(body.reason)
    row = await repo.insert_assessment(
        session,
        {
            "agreement_id": agreement_id,
            "year": body.year,
            "result": body.result,
            "reason": reason if body.result == "fail" else None,
            "consequence": body.consequence if body.result == "fail" else None,
            "assessed_by": principal.subject,
        },
    )
    if row is None:
        raise AssessmentExists(f"{body.year} 年度的绩效评估已录入", field="year")
    now = datetime.now(UTC)
    status_before = agreement["status"]
    if body.result == "pass":
        for t in tranches:
            if (
                t["milestone"] == "assessment_passed"
                and t["assessment_year"] == body.year
                and t["status"] == "pending"
            ):
                await repo.update_tranche(
                    session,
                    t["id"],
                    status="due",
                    evidence=f"{body.year} 年度绩效评估通过",
                    confirmed_by=principal.subject,
                    confirmed_at=now,
                )
        if status_before == "paused":
            await repo.update_agreement(session, agreement_id, status="active", status_reason=None)
    elif body.consequence == "pause":
        if status_before == "active":
            await repo.update_agreement(
                session,
                agreement_id,
                status="paused",
                status_reason=f"{body.year} 年度绩效评估未通过：{reason}",
            )
    else:
        await _end(
            session,
            agreement_id,
            tranches,
            reason="assessment_failed",
            why=f"{body.year} 年度绩效评估未通过：{reason}",
            by=principal.subject,
            at=now,
        )
    await audit.append(
        session,
        actor=principal.subject,
        action="funding_assessment.recorded",
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        data={
            "year": body.year,
            "result": body.result,
            "consequence": body.consequence if body.result == "fail" else None,
            "status_before": status_before,
        },
    )
    return await view(session, agreement_id)


# --- 验收 ------------------------------------------------------------------------------------------------------------


async def accept(
    session: AsyncSession, agreement_id: uuid.UUID, body: AcceptanceIn, principal: Principal
) -> AgreementOut:
    """验收, once per agreement, by an officer of the program's department, while the agreement is active or
    completed (409 ``acceptance_not_due`` when paused or terminated; 409 ``acceptance_exists`` the second time).

    - ``regular``: the officer records the review's result; ``failed`` needs a note and ends the agreement (the
      remaining tranches are cancelled, ``program.agreement_ended``).
    - ``green``: passes without the regular review when the company reached 高企/专精特新/瞪羚/独角兽培育/规上 during
      the program (see :func:`green_channel`); otherwise 409 ``green_channel_not_reached`` with the reason.
    """
    action = "acceptance.record"
    agreement, tranches, _ = await _locked(session, agreement_id, None, principal, action)
    if await repo.acceptance_of(session, agreement_id) is not None:
        raise AcceptanceExists("该资助协议已验收，每份协议验收一次")
    if agreement["status"] in ("paused", "terminated"):
        raise AcceptanceNotDue(
            f"资助协议{'已暂停' if agreement['status'] == 'paused' else '已终止'}"
            f"（{agreement['status_reason'] or ''}），不能验收",
            status_now=agreement["status"],
        )
    green: list[str] = []
    if body.channel == "green":
        if body.result == "failed":
            raise AcceptanceResultInvalid("绿色通道验收即为通过；不通过请走常规验收", field="result")
        channel = await green_channel(session, agreement)
        if not channel.eligible:
            raise GreenChannelNotReached(channel.why, field="channel", since=str(channel.since))
        result = "passed"
        green = [q.kind for q in channel.reached]
    else:
        if body.result is None:
            raise AcceptanceResultInvalid("常规验收须填写结果 passed 或 failed", field="result")
        if body.result == "failed" and not body.note:
            raise AcceptanceResultInvalid("验收不通过须填写说明", field="note")
        result = body.result
    note = None if body.note is None else mask_pii(body.note)
    row = await repo.insert_acceptance(
        session,
        {
            "agreement_id": agreement_id,
            "result": result,
            "channel": body.channel,
            "note": note,
            "green_qualifications": green,
            "accepted_by": principal.subject,
        },
    )
    if row is None:  # the agreement's lock makes this unreachable
        raise AcceptanceExists("该资助协议已验收，每份协议验收一次")
    now = datetime.now(UTC)
    if result == "failed":
        await _end(
            session,
            agreement_id,
            tranches,
            reason="acceptance_failed",
            why=f"验收未通过：{note}",
            by=principal.subject,
            at=now,
        )
    await audit.append(
        session,
        actor=principal.subject,
        action="funding_agreement.accepted",
        entity_type="funding_agreement",
        entity_id=str(agreement_id),
        data={"result": result, "channel": body.channel, "green_qualifications": green, "note": note},
    )
    await add_event(
        session,
        programs.SOURCE,
        ProgramAccepted(
            **await _event_base(session, agreement_id),
            result=result,
            channel=body.channel,
            green_qualifications=green,
            accepted_by=principal.subject,
            accepted_at=now,
        ),
        subject=str(agreement_id),
    )
    return await view(session, agreement_id)
