"""Applications (申报): submission (the amount requested or computed by svc-policy's calculator), attachments and
the views. The review itself is ``workflow.py``."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidTransition, InvalidUscc
from kunruyi_common.pagination import decode_keyset, keyset_cursor
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from sqlalchemy import null
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_department, visible_departments
from kunruyi_disbursement.applications import repository
from kunruyi_disbursement.applications.attachment_content import clean_filename
from kunruyi_disbursement.applications.exceptions import (
    AmountNotComputable,
    AmountRequired,
    ApplicationExists,
    ApplicationNotFound,
    AttachmentStoreUnavailable,
    InvalidTalentId,
    NotEligible,
    PolicyCalculatorUnavailable,
    PolicyNeedsNoApplication,
)
from kunruyi_disbursement.applications.schemas import ApplicationIn
from kunruyi_disbursement.applications.storage import AttachmentStore, AttachmentStoreError
from kunruyi_disbursement.applications.workflow import (
    STAGE_TITLES,
    TERMINAL,
    ensure_policy_department,
    locked,
    next_stage,
    record,
    workflow_of,
)
from kunruyi_disbursement.directory import service as directory
from kunruyi_disbursement.policies.calculator_client import (
    Calculation,
    NotComputable,
    PolicyCalculator,
    PolicyUnavailable,
)
from kunruyi_disbursement.policies.service import (
    check_amount,
    check_period,
    period_bounds,
    require_policy,
)


def _normalize_applicant(body: ApplicationIn) -> str:
    if body.applicant_type == "enterprise":
        try:
            return parse_uscc(body.applicant_id).code
        except InvalidIdentifier as exc:
            raise InvalidUscc(f"统一社会信用代码无效：{exc}", field="applicant_id") from exc
    try:
        return str(uuid.UUID(body.applicant_id))
    except ValueError:
        raise InvalidTalentId("talent_id 应为 UUID", field="applicant_id") from None


def _evaluation_date(period: str) -> date:
    """The day whose rules decide the amount: today, or the nearest day of the period when today is outside it."""
    start, end = period_bounds(period)
    return min(max(local_today(), start), end)


async def computed_amount(
    calculator: PolicyCalculator, policy: Any, body: ApplicationIn, applicant_id: str
) -> tuple[Calculation, int]:
    """svc-policy's amount for this applicant, or the problem that says why there is none.

    eligible / needs_confirmation with an amount > 0 is taken (the manual criteria of needs_confirmation are what
    the review workflow confirms); ineligible is 422 ``not_eligible`` with the failed criteria; svc-policy down,
    slow or failing is 503 ``policy_unavailable`` — in every failure nothing is written.
    """
    try:
        calc = await calculator.calculate(
            body.applicant_type, applicant_id, policy.code, _evaluation_date(body.period)
        )
    except PolicyUnavailable as exc:
        raise PolicyCalculatorUnavailable(
            f"政策计算器暂不可用（{exc}），请稍后重试或填写申请金额 amount_fen",
        ) from exc
    except NotComputable as exc:
        raise AmountNotComputable(
            f"政策计算器无法为该主体计算金额（{exc}），请填写申请金额 amount_fen",
            field="amount_fen",
            upstream_code=exc.upstream_code,
        ) from exc
    if calc is None:
        raise AmountNotComputable(
            f"政策计算器在 {_evaluation_date(body.period).isoformat()} 没有适用于该{'企业' if body.applicant_type == 'enterprise' else '人才'}"
            f"的政策 {policy.code}，请填写申请金额 amount_fen",
            field="amount_fen",
        )
    if calc.status == "ineligible":
        failed = calc.failed_labels
        raise NotEligible(
            f"按政策 {policy.code}（第 {calc.version} 版）该主体不符合条件：{'、'.join(failed) or '条件未满足'}",
            field="amount_fen",
            failed_criteria=failed,
            policy_version=calc.version,
        )
    if calc.status == "error" or calc.amount_fen is None or calc.amount_fen <= 0:
        raise AmountNotComputable(
            f"政策计算器未能算出金额（{calc.reason or calc.status}），请填写申请金额 amount_fen",
            field="amount_fen",
            calculator_status=calc.status,
            policy_version=calc.version,
        )
    return calc, calc.amount_fen


async def submit(
    session: AsyncSession,
    body: ApplicationIn,
    principal: Principal,
    calculator: PolicyCalculator | None = None,
) -> Any:
    policy = await require_policy(session, body.policy_code)
    # Staff submitting for an applicant: of the policy's department (partners and the applicant's channels pass).
    ensure_department(
        principal,
        policy.department,
        entity_type="policy",
        entity_id=policy.code,
        action="application.submit",
    )
    if policy.mode == "automatic":
        raise PolicyNeedsNoApplication("免申即享政策无需申报", field="policy_code")
    check_period(policy, body.period)
    applicant_id = _normalize_applicant(body)
    calc: Calculation | None = None
    if body.amount_fen is not None:
        amount_fen = body.amount_fen
    elif calculator is None:
        raise AmountRequired("需要申请金额 amount_fen", field="amount_fen")
    else:
        calc, amount_fen = await computed_amount(calculator, policy, body, applicant_id)
    check_amount(policy, amount_fen)
    workflow = workflow_of(policy)
    number = await repository.next_number(session)
    application_number = f"SB{datetime.now(UTC).year}{number:07d}"
    try:
        async with session.begin_nested():
            row = await repository.insert_application(
                session,
                {
                    "id": uuid.uuid4(),
                    "application_number": application_number,
                    "policy_code": policy.code,
                    "policy_version": policy.version,
                    "applicant_type": body.applicant_type,
                    "applicant_id": applicant_id,
                    "period": body.period,
                    "amount_fen": amount_fen,
                    "amount_source": "requested" if calc is None else "computed",
                    "amount_policy_version": None if calc is None else calc.version,
                    "amount_calculator_status": None if calc is None else calc.status,
                    # SQL NULL when requested (a Python None would be the JSON null the provenance CHECK refuses).
                    "amount_calculation": null() if calc is None else calc.snapshot(),
                    "channel": body.channel,
                    "external_ref": body.external_ref,
                    "status": "submitted",
                    "workflow": workflow,
                    "notice_days": policy.notice_days,
                    # frozen with the workflow: a later change of the policy never removes the second person
                    "four_eyes": policy.four_eyes,
                    "submitted_by": f"{principal.kind}:{principal.subject}",
                },
            )
    except IntegrityError as exc:
        if "uq_applications_policy_applicant_period" in str(exc.orig):
            raise ApplicationExists("该申报主体本期已申报过此政策") from exc
        raise
    await record(session, row, None, "submitted", "submit", principal, None)
    return row


async def store_attachment(
    session: AsyncSession,
    application_id: uuid.UUID,
    filename: str,
    content_type: str | None,
    content: bytes,
    store: AttachmentStore,
    principal: Principal | None = None,
) -> dict[str, Any]:
    app = await locked(session, application_id)
    await ensure_policy_department(session, app, principal, "attachment")  # staff: the policy's department
    if app.status in TERMINAL:
        raise InvalidTransition("已办结的申报不能再上传材料", current_status=app.status)
    digest = hashlib.sha256(content).hexdigest()
    # Content-addressed: the same file stored twice is one object, and its name proves its hash. Stored before the
    # row is written: a failed store leaves no row pointing at nothing.
    try:
        await store.put(f"{app.id}/{digest}", content, content_type)
    except AttachmentStoreError as exc:
        raise AttachmentStoreUnavailable(f"附件存储不可用：{exc}") from exc
    attachment_id = uuid.uuid4()
    filename = clean_filename(filename)  # no path, no bidi override or control characters, 200 at most
    await repository.insert_attachment(
        session,
        {
            "id": attachment_id,
            "application_id": app.id,
            "filename": filename,
            "content_type": content_type,
            "size_bytes": len(content),
            "sha256": digest,
            "storage_key": f"{app.id}/{digest}",
        },
    )
    return {"id": str(attachment_id), "filename": filename, "size_bytes": len(content), "sha256": digest}


def view(app: Any) -> dict[str, Any]:
    allowed = next_stage(app)
    return {
        "id": str(app.id),
        "application_number": app.application_number,
        "policy_code": app.policy_code,
        "policy_version": app.policy_version,
        "applicant_type": app.applicant_type,
        "applicant_id": app.applicant_id,
        "period": app.period,
        "amount_fen": app.amount_fen,
        # requested: the applicant's figure; computed: svc-policy's calculator (its rule version and status below).
        "amount_source": app.amount_source,
        "amount_policy_version": app.amount_policy_version,
        "amount_calculator_status": app.amount_calculator_status,
        "channel": app.channel,
        "external_ref": app.external_ref,
        "status": app.status,
        "status_title": STAGE_TITLES.get(app.status, app.status),
        "workflow": app.workflow,
        "allowed_next": [allowed] if allowed and allowed != "paid" and app.status not in TERMINAL else [],
        "notice_ends_at": app.notice_ends_at,
        "reject_reason": app.reject_reason,
        "disbursement_id": str(app.disbursement_id) if app.disbursement_id else None,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
    }


async def labelled(
    session: AsyncSession, items: list[dict[str, Any]], *, full_names: bool
) -> list[dict[str, Any]]:
    """Applications with the applicant's name and the policy's title (one query each for the whole list)."""
    return await directory.label(
        session,
        items,
        type_key="applicant_type",
        id_key="applicant_id",
        name_key="applicant_name",
        full_person_names=full_names,
    )


async def readable(session: AsyncSession, application_id: uuid.UUID, principal: Principal | None) -> Any:
    """The application, for reading it (its steps, objections, material): staff of its policy's department, admins,
    and the callers who are not department staff (partners, the applicant's channels, services); other staff are
    refused (403 ``other_department``, audited by the endpoint)."""
    app = await repository.get(session, application_id)
    if app is None:
        raise ApplicationNotFound("申报不存在")
    await ensure_policy_department(session, app, principal, "read")
    return app


async def detail(
    session: AsyncSession,
    application_id: uuid.UUID,
    *,
    full_names: bool = True,
    principal: Principal | None = None,
) -> dict[str, Any]:
    app = await readable(session, application_id, principal)
    steps = await repository.steps(session, app.id)
    attachments = await repository.attachments(session, app.id)
    objections = await repository.objections(session, app.id)
    (named,) = await labelled(session, [view(app)], full_names=full_names)
    return {
        **named,
        "amount_calculation": app.amount_calculation,
        "steps": [
            {
                "from_status": s.from_status,
                "to_status": s.to_status,
                "action": s.action,
                "actor": s.actor,
                "actor_name": s.actor_name,
                "comment": s.comment,
                "at": s.at,
            }
            for s in steps
        ],
        "attachments": [
            {
                "id": str(t.id),
                "filename": clean_filename(t.filename),
                "content_type": t.content_type,
                "size_bytes": t.size_bytes,
                "sha256": t.sha256,
                "uploaded_at": t.uploaded_at,
            }
            for t in attachments
        ],
        "objections": [
            {"objector": o.objector, "content": o.content, "recorded_by": o.recorded_by, "at": o.at}
            for o in objections
        ],
    }


async def list_applications(
    session: AsyncSession,
    *,
    status: str | None,
    policy_code: str | None,
    applicant_id: str | None,
    limit: int,
    cursor: str | None,
    full_names: bool = True,
    principal: Principal | None = None,
) -> dict[str, Any]:
    """Newest first; staff (admins aside) see the applications of their department's policies only."""
    rows = await repository.page(
        session,
        status=status,
        policy_code=policy_code,
        applicant_id=applicant_id,
        departments=visible_departments(principal),
        after=decode_keyset(cursor),
        limit=limit + 1,
    )
    last = rows[limit - 1] if len(rows) > limit else None
    return {
        "items": await labelled(session, [view(r) for r in rows[:limit]], full_names=full_names),
        "next_cursor": keyset_cursor(last.created_at, last.id) if last is not None else None,
    }
