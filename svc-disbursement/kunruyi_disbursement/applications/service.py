"""Applications (申报) and their review workflow.

The default workflow is 受理 accepted → 初审 first_review → 复审 second_review → 公示 public_notice → 审定 approved →
拨付 paid; a policy may configure its own subset (``policies.review_stages``), copied onto the application when it is
submitted so a later change never re-routes applications under way. Any review stage may reject (with a reason)
or return the application for 补正 (supplement_required); the applicant resubmits and review starts again.
审定 creates the disbursement (budget reserved); the settlement marks the application paid.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidTransition, InvalidUscc, RoleRequired
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pagination import decode_keyset, keyset_cursor
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import ensure_department, ensure_other_person
from kunruyi_disbursement.applications import free_text
from kunruyi_disbursement.applications.exceptions import (
    AmountNotComputable,
    AmountRequired,
    ApplicationExists,
    ApplicationNotFound,
    AttachmentStoreUnavailable,
    DisbursementExists,
    InvalidTalentId,
    NotEligible,
    NoticePeriodRunning,
    NotInPublicNotice,
    PolicyCalculatorUnavailable,
    PolicyNeedsNoApplication,
)
from kunruyi_disbursement.applications.storage import AttachmentStore, AttachmentStoreError
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.events import ApplicationStatusChanged
from kunruyi_disbursement.policies.calculator_client import Calculation, NotComputable, PolicyUnavailable
from kunruyi_disbursement.policies.service import (
    DEFAULT_REVIEW_STAGES,
    check_amount,
    check_period,
    get_policy,
    period_bounds,
    require_policy,
)

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


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy_code": "KS-RC-002",
                    "applicant_type": "enterprise",
                    "applicant_id": "91320583MA1KR8Y29Y",
                    "period": "2025",
                    "channel": "api",
                    "external_ref": "YQLB-2025-000123",
                }
            ]
        }
    )

    policy_code: str = Field(min_length=1, max_length=64)
    applicant_type: Literal["enterprise", "talent"]
    applicant_id: str = Field(min_length=1, max_length=64, description="企业统一社会信用代码或人才 talent_id")
    period: str = Field(min_length=4, max_length=16, examples=["2026"])
    amount_fen: int | None = Field(
        None,
        gt=0,
        strict=True,
        description="申请金额（分，正整数）；不填则按 svc-policy 政策计算器为该主体算出的金额申报",
    )
    channel: Literal["api", "yiqilaiban"] = "api"
    external_ref: str | None = Field(None, max_length=100, description="一企来办等外部渠道的业务编号")


class StepIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to_status": "first_review", "comment": "材料齐全，进入初审"}]}
    )

    to_status: str = Field(
        description="下一环节：accepted、first_review、second_review、public_notice、approved"
    )
    comment: str | None = Field(None, max_length=1000)


class RejectIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "不符合申报条件：研发投入占比低于 3%"}]}
    )

    reason: str = Field(min_length=1, max_length=1000)


class ReturnIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "请补充 2024 年度审计报告"}]})

    comment: str = Field(min_length=1, max_length=1000, description="需补正的材料或内容")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"objector": "某某科技有限公司", "content": "公示企业的研发费用数据与年报不一致。"}]
        }
    )

    objector: str = Field(min_length=1, max_length=100)
    content: str = Field(min_length=1, max_length=2000)


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


class PolicyCalculator(Protocol):
    async def calculate(
        self, entity_type: str, entity_id: str, policy_code: str, evaluation_date: date
    ) -> Calculation | None: ...


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
    workflow = [s for s in (policy.review_stages or DEFAULT_REVIEW_STAGES) if s in STAGE_ROLES or s == "paid"]
    if "approved" not in workflow:
        workflow = [*workflow, "approved"]
    if workflow[-1] != "paid":
        workflow = [*workflow, "paid"]
    number = (await session.execute(text("SELECT nextval('application_number_seq')"))).scalar_one()
    application_number = f"SB{datetime.now(UTC).year}{number:07d}"
    try:
        async with session.begin_nested():
            row = (
                await session.execute(
                    text(
                        "INSERT INTO applications (id, application_number, policy_code, policy_version, applicant_type, "
                        "applicant_id, period, amount_fen, amount_source, amount_policy_version, "
                        "amount_calculator_status, amount_calculation, channel, external_ref, status, workflow, "
                        "notice_days, submitted_by) VALUES (:id, :no, :pc, :pv, :at, :aid, :period, :amount, "
                        ":source, :apv, :acs, CAST(:calc AS jsonb), :channel, :ref, 'submitted', "
                        "CAST(:wf AS jsonb), :nd, :by) RETURNING *"
                    ),
                    {
                        "id": uuid.uuid4(),
                        "no": application_number,
                        "pc": policy.code,
                        "pv": policy.version,
                        "at": body.applicant_type,
                        "aid": applicant_id,
                        "period": body.period,
                        "amount": amount_fen,
                        "source": "requested" if calc is None else "computed",
                        "apv": None if calc is None else calc.version,
                        "acs": None if calc is None else calc.status,
                        "calc": None if calc is None else json.dumps(calc.snapshot(), ensure_ascii=False),
                        "channel": body.channel,
                        "ref": body.external_ref,
                        "wf": json.dumps(workflow),
                        "nd": policy.notice_days,
                        "by": f"{principal.kind}:{principal.subject}",
                    },
                )
            ).one()
    except IntegrityError as exc:
        if "uq_applications_policy_applicant_period" in str(exc.orig):
            raise ApplicationExists("该申报主体本期已申报过此政策") from exc
        raise
    await _record(session, row, None, "submitted", "submit", principal, None)
    return row


async def _record(
    session: AsyncSession,
    app: Any,
    previous: str | None,
    status: str,
    action: str,
    principal: Principal | None,
    comment: str | None,
) -> None:
    actor = principal.subject if principal else "system"
    now = datetime.now(UTC)
    comment, comment_encrypted = free_text.protect(comment, "application_steps.comment", app.id)
    await session.execute(
        text(
            "INSERT INTO application_steps (application_id, from_status, to_status, action, actor, actor_name, "
            "comment, comment_encrypted, at) VALUES (:id, :f, :t, :a, :actor, :name, :c, :ce, :at)"
        ),
        {
            "id": app.id,
            "f": previous,
            "t": status,
            "a": action,
            "actor": actor,
            "name": principal.name if principal else None,
            "c": comment,
            "ce": comment_encrypted,
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


async def _locked(session: AsyncSession, application_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            text("SELECT * FROM applications WHERE id = :id FOR UPDATE"), {"id": application_id}
        )
    ).first()
    if row is None:
        raise ApplicationNotFound("申报不存在")
    return row


async def _ensure_department(
    session: AsyncSession, app: Any, principal: Principal | None, action: str
) -> Any:
    """The application's policy (its department and four-eyes setting), once the caller may act for it."""
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
    rows = (
        await session.execute(
            text(
                "SELECT to_status, actor FROM application_steps WHERE application_id = :id AND action = 'advance' "
                "AND id > coalesce((SELECT max(id) FROM application_steps WHERE application_id = :id "
                "AND to_status = 'submitted'), 0) ORDER BY id"
            ),
            {"id": app.id},
        )
    ).all()
    return {r.to_status: r.actor for r in rows}


def next_stage(app: Any) -> str | None:
    workflow: list[str] = list(app.workflow)
    if app.status == "submitted":
        return workflow[0]
    if app.status in workflow:
        i = workflow.index(app.status)
        return workflow[i + 1] if i + 1 < len(workflow) else None
    return None


async def _set_status(session: AsyncSession, app: Any, status: str, **extra: Any) -> Any:
    sets = ", ".join(f"{k} = :{k}" for k in extra)
    return (
        await session.execute(
            text(
                f"UPDATE applications SET status = :s, updated_at = now(){', ' + sets if sets else ''} "
                "WHERE id = :id RETURNING *"
            ),
            {"s": status, "id": app.id, **extra},
        )
    ).one()


async def advance(
    session: AsyncSession, application_id: uuid.UUID, body: StepIn, principal: Principal
) -> Any:
    app = await _locked(session, application_id)
    policy = await _ensure_department(
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
    if allowed in FOUR_EYES and (policy is None or policy.four_eyes):
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
    await _record(session, updated, app.status, allowed, "advance", principal, body.comment)
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
    app = await _locked(session, application_id)
    await _ensure_department(session, app, principal, "reject")
    _require_reviewer(app, principal)
    reason, reason_encrypted = free_text.protect(body.reason, "applications.reject_reason", app.id)
    updated = await _set_status(
        session, app, "rejected", reject_reason=reason, reject_reason_encrypted=reason_encrypted
    )
    await _record(session, updated, app.status, "rejected", "reject", principal, body.reason)
    return updated


async def return_for_supplement(
    session: AsyncSession, application_id: uuid.UUID, body: ReturnIn, principal: Principal
) -> Any:
    app = await _locked(session, application_id)
    await _ensure_department(session, app, principal, "return")
    _require_reviewer(app, principal)
    updated = await _set_status(session, app, "supplement_required")
    await _record(session, updated, app.status, "supplement_required", "return", principal, body.comment)
    return updated


async def resubmit(
    session: AsyncSession, application_id: uuid.UUID, comment: str | None, principal: Principal
) -> Any:
    app = await _locked(session, application_id)
    await _ensure_department(session, app, principal, "resubmit")  # staff: the policy's department
    if app.status != "supplement_required":
        raise InvalidTransition(
            "只有退回补正的申报可以重新提交",
            current_status=app.status,
            allowed_next=[next_stage(app)] if next_stage(app) else [],
        )
    updated = await _set_status(session, app, "submitted")
    await _record(session, updated, app.status, "submitted", "resubmit", principal, comment)
    return updated


async def object_to(
    session: AsyncSession, application_id: uuid.UUID, body: ObjectionIn, principal: Principal
) -> Any:
    app = await _locked(session, application_id)
    await _ensure_department(session, app, principal, "objection")
    if app.status != "public_notice":
        raise NotInPublicNotice("只有公示期内可以登记异议", current_status=app.status)
    content, content_encrypted = free_text.protect(body.content, "application_objections.content", app.id)
    await session.execute(
        text(
            "INSERT INTO application_objections (id, application_id, objector, content, content_encrypted, "
            "recorded_by) VALUES (:id, :a, :o, :c, :ce, :by)"
        ),
        {
            "id": uuid.uuid4(),
            "a": app.id,
            "o": body.objector,
            "c": content,
            "ce": content_encrypted,
            "by": principal.subject,
        },
    )
    return app


async def mark_paid(session: AsyncSession, application_id: uuid.UUID) -> None:
    """Called in the settlement's unit of work."""
    app = await _locked(session, application_id)
    if app.status != "approved":
        return
    updated = await _set_status(session, app, "paid")
    await _record(session, updated, "approved", "paid", "settled", None, "资金已拨付到账")


async def store_attachment(
    session: AsyncSession,
    application_id: uuid.UUID,
    filename: str,
    content_type: str | None,
    content: bytes,
    store: AttachmentStore,
) -> dict[str, Any]:
    app = await _locked(session, application_id)
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
    await session.execute(
        text(
            "INSERT INTO application_attachments (id, application_id, filename, content_type, size_bytes, sha256, "
            "storage_key) VALUES (:id, :a, :f, :ct, :n, :h, :k)"
        ),
        {
            "id": attachment_id,
            "a": app.id,
            "f": filename[:200],
            "ct": content_type,
            "n": len(content),
            "h": digest,
            "k": f"{app.id}/{digest}",
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


async def detail(session: AsyncSession, application_id: uuid.UUID) -> dict[str, Any]:
    app = (
        await session.execute(text("SELECT * FROM applications WHERE id = :id"), {"id": application_id})
    ).first()
    if app is None:
        raise ApplicationNotFound("申报不存在")
    steps = (
        (
            await session.execute(
                text(
                    "SELECT from_status, to_status, action, actor, actor_name, comment, at FROM application_steps "
                    "WHERE application_id = :id ORDER BY id"
                ),
                {"id": app.id},
            )
        )
        .mappings()
        .all()
    )
    attachments = (
        (
            await session.execute(
                text(
                    "SELECT id, filename, content_type, size_bytes, sha256, uploaded_at FROM application_attachments "
                    "WHERE application_id = :id ORDER BY uploaded_at"
                ),
                {"id": app.id},
            )
        )
        .mappings()
        .all()
    )
    objections = (
        (
            await session.execute(
                text(
                    "SELECT objector, content, recorded_by, at FROM application_objections WHERE application_id = :id ORDER BY at"
                ),
                {"id": app.id},
            )
        )
        .mappings()
        .all()
    )
    return {
        **view(app),
        "amount_calculation": app.amount_calculation,
        "steps": [dict(s) for s in steps],
        "attachments": [{**dict(a), "id": str(a["id"])} for a in attachments],
        "objections": [dict(o) for o in objections],
    }


async def list_applications(
    session: AsyncSession,
    *,
    status: str | None,
    policy_code: str | None,
    applicant_id: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    after = decode_keyset(cursor)
    after_at, after_id = after if after is not None else (None, None)
    rows = (
        await session.execute(
            text(
                "SELECT * FROM applications WHERE (CAST(:s AS text) IS NULL OR status = :s) "
                "AND (CAST(:p AS text) IS NULL OR policy_code = :p) AND (CAST(:a AS text) IS NULL OR applicant_id = :a) "
                "AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (CAST(:at AS timestamptz), CAST(:aid AS uuid))) "
                "ORDER BY created_at DESC, id DESC LIMIT :n"
            ),
            {
                "s": status,
                "p": policy_code,
                "a": applicant_id,
                "at": after_at,
                "aid": after_id,
                "n": limit + 1,
            },
        )
    ).all()
    last = rows[limit - 1] if len(rows) > limit else None
    return {
        "items": [view(r) for r in rows[:limit]],
        "next_cursor": keyset_cursor(last.created_at, last.id) if last is not None else None,
    }
