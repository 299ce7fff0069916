"""公示 objections (异议): anyone may object to a selected application while the 公示 runs; an officer resolves.

- Filing is public (the gateway rate-limits anonymous callers by address). It is taken while the call is in 公示
  and ``notice_starts_on <= today < notice_ends_on`` by Kunshan's date (409 ``notice_period_over`` after, 404
  ``program_notice_not_published`` before), against an application on the list (422
  ``objection_target_not_selected``). Reason and objector are stored with personal data masked.
- An officer of the program's department resolves it once (409 ``objection_already_resolved``):
  ``dismissed`` — the selection stands; ``upheld`` — the application is ``withdrawn``
  (``kunruyi.disbursement.program.selection_withdrawn``) and, the category being under its quota again, the
  best-ranked application of the category not selected moves up (``kunruyi.disbursement.program.selected``).
- While an objection is open, and until the 公示 has ended, no funding agreement is signed for the application
  (see ``agreements.service.create``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import mask_pii
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_program_department
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.objections import repository as repo
from kunruyi_disbursement.objections.exceptions import (
    NoticePeriodOver,
    ObjectionAlreadyResolved,
    ObjectionNotFound,
    ObjectionTargetNotSelected,
)
from kunruyi_disbursement.objections.schemas import ObjectionIn, ObjectionOut, ObjectionReceipt, ResolutionIn
from kunruyi_disbursement.programs import repository as programs_repo
from kunruyi_disbursement.programs import service as programs
from kunruyi_disbursement.programs.events import ProgramSelectionWithdrawn
from kunruyi_disbursement.programs.exceptions import NoticeNotPublished


def view(row: RowMapping) -> ObjectionOut:
    return ObjectionOut.model_validate(dict(row))


async def file(session: AsyncSession, call_id: uuid.UUID, body: ObjectionIn) -> ObjectionReceipt:
    call = await programs.require_call(session, call_id)
    if call["status"] != "public_notice":
        raise NoticeNotPublished("本批次的入选名单尚未公示")
    if not programs.in_notice_period(call):
        today = local_today()
        raise NoticePeriodOver(
            f"公示期为 {call['notice_starts_on'].isoformat()} 起至 {call['notice_ends_on'].isoformat()} 前"
            f"（北京时间），今天 {today.isoformat()} 已不受理异议",
            notice_starts_on=call["notice_starts_on"].isoformat(),
            notice_ends_on=call["notice_ends_on"].isoformat(),
            today=today.isoformat(),
        )
    application = await programs_repo.get_application(session, body.application_id)
    if application is None or application["call_id"] != call_id or application["status"] != "selected":
        raise ObjectionTargetNotSelected("该申报不在本批次的公示名单中", field="application_id")
    row = await repo.insert_objection(
        session,
        {
            "id": uuid.uuid4(),
            "call_id": call_id,
            "application_id": body.application_id,
            "objector": None if body.objector is None else mask_pii(body.objector),
            "reason": mask_pii(body.reason),
        },
    )
    return ObjectionReceipt(id=row["id"], status="open", created_at=row["created_at"])


async def list_for_call(
    session: AsyncSession, call_id: uuid.UUID, principal: Principal
) -> list[ObjectionOut]:
    await programs.readable_call(session, call_id, principal)
    return [view(r) for r in await repo.objections_of_call(session, call_id)]


async def require_objection(
    session: AsyncSession, objection_id: uuid.UUID, *, lock: bool = False
) -> RowMapping:
    row = await repo.get_objection(session, objection_id, lock=lock)
    if row is None:
        raise ObjectionNotFound("公示异议不存在")
    return row


async def readable_objection(
    session: AsyncSession, objection_id: uuid.UUID, principal: Principal
) -> RowMapping:
    """The objection, for whoever may read its call (``programs.readable_call``); other staff: 403, audited."""
    row = await require_objection(session, objection_id)
    await programs.readable_call(session, row["call_id"], principal)
    return row


async def _promote_next(
    session: AsyncSession, call: RowMapping, withdrawn: RowMapping, by: str, at: datetime
) -> uuid.UUID | None:
    """The best-ranked application of the withdrawn one's category that was not selected, now selected, when the
    category is under its quota; None when nobody is left to move up."""
    applications = await programs_repo.applications_of(session, call["id"])
    same = [a for a in applications if a["category"] == withdrawn["category"]]
    selected = sum(1 for a in same if a["status"] == "selected")
    if selected >= programs.quotas(call).get(withdrawn["category"], 0):
        return None
    waiting = sorted(
        (a for a in same if a["status"] == "not_selected" and a["rank"] is not None), key=lambda a: a["rank"]
    )
    if not waiting:
        return None
    chosen = waiting[0]
    await repo.set_status(session, chosen["id"], "selected")
    await programs.publish_selected(session, call, chosen, chosen["rank"], by, at)
    return uuid.UUID(str(chosen["id"]))


async def resolve(
    session: AsyncSession, objection_id: uuid.UUID, body: ResolutionIn, principal: Principal
) -> ObjectionOut:
    objection = await require_objection(session, objection_id)
    call = await programs.require_call(session, objection["call_id"], lock=True)
    ensure_program_department(
        principal,
        call["department"],
        entity_type="program_objection",
        entity_id=str(objection_id),
        action="objection.resolve",
    )
    objection = await require_objection(session, objection_id, lock=True)
    if objection["status"] != "open":
        raise ObjectionAlreadyResolved(
            f"该异议已处理（{'成立' if objection['status'] == 'upheld' else '不成立'}）",
            status_now=objection["status"],
        )
    now = datetime.now(UTC)
    promoted: uuid.UUID | None = None
    application = await programs.require_application(session, objection["application_id"])
    if body.outcome == "upheld" and application["status"] == "selected":
        await repo.set_status(session, application["id"], "withdrawn")
        await add_event(
            session,
            programs.SOURCE,
            ProgramSelectionWithdrawn(
                application_id=str(application["id"]),
                call_id=str(call["id"]),
                program_code=call["program_code"],
                year=call["year"],
                applicant_kind=call["program_applicant_kind"],
                applicant_id=application["applicant_id"],
                company_uscc=application["company_uscc"],
                objection_id=str(objection_id),
                withdrawn_by=principal.subject,
                withdrawn_at=now,
            ),
            subject=str(application["id"]),
        )
        promoted = await _promote_next(session, call, application, principal.subject, now)
    resolution = mask_pii(body.resolution)
    await repo.resolve(
        session,
        objection_id,
        status=body.outcome,
        resolution=resolution,
        resolved_by=principal.subject,
        resolved_at=now,
        promoted_application_id=promoted,
    )
    await audit.append(
        session,
        actor=principal.subject,
        action=f"program_objection.{body.outcome}",
        entity_type="program_application",
        entity_id=str(application["id"]),
        data={
            "objection_id": str(objection_id),
            "resolution": resolution,
            "promoted_application_id": None if promoted is None else str(promoted),
        },
    )
    return view(await require_objection(session, objection_id))
