"""The review workflow of an application (申报): its stages, who may take each, and the transitions.

The default workflow is 受理 accepted → 初审 first_review → 复审 second_review → 公示 public_notice → 审定 approved →
拨付 paid; a policy may configure its own subset (``policies.review_stages``), copied onto the application when it is
submitted so a later change never re-routes applications under way — and with them its four-eyes rule
(``applications.four_eyes``; the review applies four eyes when the application or its policy today asks for it). Any review stage may reject (with a reason)
or return the application for 补正 (supplement_required); the applicant resubmits and review starts again.
审定 creates the disbursement (budget reserved); the settlement marks the application paid (:func:`mark_paid`).
Every transition is a step (who, when, comment) and a ``kunruyi.disbursement.application.status_changed`` event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.errors import InvalidTransition, RoleRequired
from kunruyi_common.events.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_department, ensure_other_person
from kunruyi_disbursement.applications import free_text, repository
from kunruyi_disbursement.applications.exceptions import (
    ApplicationNotFound,
    DisbursementExists,
    NoticePeriodRunning,
    NotInPublicNotice,
)
from kunruyi_disbursement.applications.schemas import ObjectionIn, RejectIn, ReturnIn, StepIn
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.events import ApplicationStatusChanged
from kunruyi_disbursement.policies.service import DEFAULT_REVIEW_STAGES, get_policy, require_policy

STAGE_TITLES = {
    "submitted": "已提交",
    "accepted": "受理",
    "first_review": "初审",
    "second_review": "复审",
    "public_notice": "公示",
    "approved": "审定",
    "paid": "拨付",
    "rejected": "不予通过",
    "supplement_required": "退回补正",
}
STAGE_ROLES: dict[str, tuple[str, ...]] = {
    "accepted": ("officer", "reviewer"),
    "first_review": ("reviewer",),
    "second_review": ("reviewer",),
    "public_notice": ("reviewer", "officer"),
    "approved": ("approver",),
}
TERMINAL = ("paid", "rejected")
# Four eyes: who took which earlier stage of this round may not take these (初审 ≠ 复审 ≠ 审定).
FOUR_EYES: dict[str, tuple[str, ...]] = {
    "second_review": ("first_review",),
    "approved": ("first_review", "second_review"),
}


def workflow_of(policy: Any) -> list[str]:
    """The stages an application to ``policy`` goes through: the policy's (or the default), ending 审定 → 拨付."""
    workflow = [s for s in (policy.review_stages or DEFAULT_REVIEW_STAGES) if s in STAGE_ROLES or s == "paid"]
    if "approved" not in workflow:
        workflow = [*workflow, "approved"]
    if workflow[-1] != "paid":
        workflow = [*workflow, "paid"]
    return workflow


def next_stage(app: Any) -> str | None:
    workflow: list[str] = list(app.workflow)
    if app.status == "submitted":
        return workflow[0]
    if app.status in workflow:
        i = workflow.index(app.status)
        return workflow[i + 1] if i + 1 < len(workflow) else None
    return None


async def record(
    session: AsyncSession,
    app: Any,
    previous: str | None,
    status: str,
    action: str,
    principal: Principal | None,
    comment: str | None,
) -> None:
    """Write the step (``previous`` → ``status``) and publish the status change."""
    actor = principal.subject if principal else "system"
    now = datetime.now(UTC)
    comment, comment_encrypted = free_text.protect(comment, "application_steps.comment", app.id)
    await repository.insert_step(
        session,
        {
            "application_id": app.id,
            "from_status": previous,
            "to_status": status,
            "action": action,
            "actor": actor,
            "actor_name": principal.name if principal else None,
            "comment": comment,
            "comment_encrypted": comment_encrypted,
            "at": now,
        },
    )
    await add_event(
        session,
        "disbursement",
        ApplicationStatusChanged(
            application_id=str(app.id),
            application_number=app.application_number,
            policy_code=app.policy_code,
            applicant_type=app.applicant_type,
            applicant_id=app.applicant_id,
            period=app.period,
            status=status,
            previous_status=previous,
            channel=app.channel,
            external_ref=app.external_ref,
            comment=comment,
            actor=actor,
            changed_at=now,
        ),
        subject=str(app.id),
    )


async def locked(session: AsyncSession, application_id: uuid.UUID) -> Any:
    """The application, locked for this unit of work."""
    row = await repository.get(session, application_id, lock=True)
    if row is None:
        raise ApplicationNotFound("申报不存在")
    return row


async def ensure_policy_department(
    session: AsyncSession, app: Any, principal: Principal | None, action: str
) -> Any:
    """The application's policy (its department and four-eyes setting), once the caller may act for it — or read
    it (``action`` read): staff of the policy's department; admins and callers who are not staff pass."""
    policy = await get_policy(session, app.policy_code)
    ensure_department(
        principal,
        policy.department if policy is not None else None,
        entity_type="application",
        entity_id=str(app.id),
        action=f"application.{action}",
    )
    return policy


async def _round_actors(session: AsyncSession, app: Any) -> dict[str, str]:
    """stage → who took it, in the current round of review (since the last submission or resubmission)."""
    return {r.to_status: r.actor for r in await repository.round_actors(session, app.id)}


async def _set_status(session: AsyncSession, app: Any, status: str, **extra: Any) -> Any:
    return await repository.set_status(session, app.id, status, **extra)


async def advance(
    session: AsyncSession, application_id: uuid.UUID, body: StepIn, principal: Principal
) -> Any:
    app = await locked(session, application_id)
    policy = await ensure_policy_department(
        session, app, principal, body.to_status if body.to_status in STAGE_ROLES else "step"
    )
    allowed = next_stage(app)
    if allowed is None or allowed == "paid" or body.to_status != allowed:
        raise InvalidTransition(
            f"当前状态 {STAGE_TITLES.get(app.status, app.status)}，下一步只能是 "
            f"{STAGE_TITLES.get(allowed or '', '（无，由拨付结果决定）') if allowed != 'paid' else '拨付（由银行结算自动完成）'}",
            current_status=app.status,
            allowed_next=[allowed] if allowed and allowed != "paid" else [],
        )
    roles = STAGE_ROLES[allowed]
    if principal.kind != "staff" or not principal.has_role(*roles):
        raise RoleRequired(f"{STAGE_TITLES[allowed]}需要角色：{'、'.join(roles)}")
    # Four eyes as the application was submitted, or as its policy asks today: a later change adds, never removes.
    if allowed in FOUR_EYES and (app.four_eyes or policy is None or policy.four_eyes):
        ensure_other_person(
            principal,
            await _round_actors(session, app),
            FOUR_EYES[allowed],
            entity_type="application",
            entity_id=str(app.id),
            action=f"application.{allowed}",
            titles=STAGE_TITLES,
        )
    extra: dict[str, Any] = {}
    if allowed == "public_notice":
        extra["notice_ends_at"] = datetime.now(UTC) + timedelta(days=app.notice_days)
    if allowed == "approved" and app.notice_ends_at is not None and app.notice_ends_at > datetime.now(UTC):
        raise NoticePeriodRunning(
            f"公示期至 {app.notice_ends_at.isoformat()} 结束，期满后方可审定",
            current_status=app.status,
            allowed_next=[allowed],
        )
    if allowed == "approved":
        policy = await require_policy(session, app.policy_code)
        d = await create_disbursement(
            session,
            mode="application",
            policy_code=app.policy_code,
            policy_version=app.policy_version,
            department=policy.department,
            district=policy.district,
            entity_type=app.applicant_type,
            entity_id=app.applicant_id,
            period=app.period,
            amount_fen=app.amount_fen,
            application_id=app.id,
            approved_by=principal.subject,
        )
        if d is None:
            raise DisbursementExists("该主体本期已有此政策的拨付记录")
        extra["disbursement_id"] = d.id
    updated = await _set_status(session, app, allowed, **extra)
    await record(session, updated, app.status, allowed, "advance", principal, body.comment)
    return updated


def _require_reviewer(app: Any, principal: Principal) -> None:
    if app.status in TERMINAL or app.status in ("approved", "supplement_required"):
        raise InvalidTransition(
            f"当前状态 {STAGE_TITLES.get(app.status, app.status)} 不能再审核",
            current_status=app.status,
            allowed_next=[],
        )
    if principal.kind != "staff" or not principal.has_role("officer", "reviewer", "approver"):
        raise RoleRequired("需要审核角色")


async def reject(
    session: AsyncSession, application_id: uuid.UUID, body: RejectIn, principal: Principal
) -> Any:
    app = await locked(session, application_id)
    await ensure_policy_department(session, app, principal, "reject")
    _require_reviewer(app, principal)
    reason, reason_encrypted = free_text.protect(body.reason, "applications.reject_reason", app.id)
    updated = await _set_status(
        session, app, "rejected", reject_reason=reason, reject_reason_encrypted=reason_encrypted
    )
    await record(session, updated, app.status, "rejected", "reject", principal, body.reason)
    return updated


async def return_for_supplement(
    session: AsyncSession, application_id: uuid.UUID, body: ReturnIn, principal: Principal
) -> Any:
    app = await locked(session, application_id)
    await ensure_policy_department(session, app, principal, "return")
    _require_reviewer(app, principal)
    updated = await _set_status(session, app, "supplement_required")
    await record(session, updated, app.status, "supplement_required", "return", principal, body.comment)
    return updated


async def resubmit(
    session: AsyncSession, application_id: uuid.UUID, comment: str | None, principal: Principal
) -> Any:
    app = await locked(session, application_id)
    await ensure_policy_department(session, app, principal, "resubmit")  # staff: the policy's department
    if app.status != "supplement_required":
        raise InvalidTransition(
            "只有退回补正的申报可以重新提交",
            current_status=app.status,
            allowed_next=[next_stage(app)] if next_stage(app) else [],
        )
    updated = await _set_status(session, app, "submitted")
    await record(session, updated, app.status, "submitted", "resubmit", principal, comment)
    return updated


async def object_to(
    session: AsyncSession, application_id: uuid.UUID, body: ObjectionIn, principal: Principal
) -> Any:
    app = await locked(session, application_id)
    await ensure_policy_department(session, app, principal, "objection")
    if app.status != "public_notice":
        raise NotInPublicNotice("只有公示期内可以登记异议", current_status=app.status)
    content, content_encrypted = free_text.protect(body.content, "application_objections.content", app.id)
    await repository.insert_objection(
        session,
        {
            "id": uuid.uuid4(),
            "application_id": app.id,
            "objector": body.objector,
            "content": content,
            "content_encrypted": content_encrypted,
            "recorded_by": principal.subject,
        },
    )
    return app


async def mark_paid(session: AsyncSession, application_id: uuid.UUID) -> None:
    """Called in the settlement's unit of work."""
    app = await locked(session, application_id)
    if app.status != "approved":
        return
    updated = await _set_status(session, app, "paid")
    await record(session, updated, "approved", "paid", "settled", None, "资金已拨付到账")
