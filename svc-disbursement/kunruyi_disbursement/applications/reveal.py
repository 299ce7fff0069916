"""Reveal: staff of the policy's department (admins: all; a policy without a department: admins only) see an application's masked free text in clear — step
comments, the reject reason, objections — with a reason; each reveal is an entry of the hash-chained audit log."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from kunruyi_common.auth import Principal
from kunruyi_common.db import SessionDep
from kunruyi_common.pii_text import TextCipher, TextCipherDep, mask_pii, reveal_text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import audited, ensure_department
from kunruyi_disbursement.applications import repository
from kunruyi_disbursement.applications.auth import OfficerReviewerOrApprover
from kunruyi_disbursement.applications.exceptions import ApplicationNotFound
from kunruyi_disbursement.applications.schemas import RevealedText, RevealIn, RevealPage
from kunruyi_disbursement.audit import service as audit

router = APIRouter(prefix="/api/v1/applications", tags=["兑现申请 applications"])
ACTION = "reveal_free_text"


def _clear(
    cipher: TextCipher, column: str, app_id: uuid.UUID, masked: str | None, encrypted: str | None
) -> str | None:
    if masked is None:
        return None
    return reveal_text(masked, encrypted, cipher, associated_data=f"{column}:{app_id}".encode())


async def _handled_application(session: AsyncSession, application_id: uuid.UUID, principal: Principal) -> Any:
    app = await repository.with_department(session, application_id)
    if app is None:
        raise ApplicationNotFound("申报不存在")
    # The rule of every step: the policy's department, and a policy without one is the admins' alone.
    ensure_department(
        principal,
        app.department,
        entity_type="application",
        entity_id=str(app.id),
        action=f"application.{ACTION}",
        what="该申报的政策",
    )
    return app


async def _checked(
    session: AsyncSession, request: Request, application_id: uuid.UUID, principal: Principal
) -> Any:
    """The application once ``principal`` may see its text; a refusal audited and answered as its problem."""

    async def check() -> Any:
        return await _handled_application(session, application_id, principal)

    return await audited(session, request, principal, check)


@router.post(
    "/{application_id}/reveal",
    summary="政策所属部门工作人员查看审核意见、不予通过理由与异议中被脱敏的原文（须填事由，记入审计日志）",
    response_model=RevealedText,
)
async def reveal_application(
    application_id: uuid.UUID,
    body: RevealIn,
    request: Request,
    session: SessionDep,
    cipher: TextCipherDep,
    principal: OfficerReviewerOrApprover,
    response: Response,
) -> RevealedText | JSONResponse:
    response.headers["Cache-Control"] = "no-store"
    app = await _checked(session, request, application_id, principal)
    if isinstance(app, JSONResponse):
        return app
    steps = await repository.steps(session, app.id)
    objections = await repository.objections(session, app.id)
    out: dict[str, Any] = {
        "application_id": str(app.id),
        "reject_reason": _clear(
            cipher, "applications.reject_reason", app.id, app.reject_reason, app.reject_reason_encrypted
        ),
        "steps": [
            {
                "from_status": s.from_status,
                "to_status": s.to_status,
                "action": s.action,
                "actor": s.actor,
                "at": s.at,
                "comment": _clear(
                    cipher, "application_steps.comment", app.id, s.comment, s.comment_encrypted
                ),
            }
            for s in steps
        ],
        "objections": [
            {
                "objector": o.objector,
                "recorded_by": o.recorded_by,
                "at": o.at,
                "content": _clear(
                    cipher, "application_objections.content", app.id, o.content, o.content_encrypted
                ),
            }
            for o in objections
        ],
    }
    # Last in the unit of work: written now (the response tells its seq), the chain's tip stays locked until commit.
    await audit.append(
        session,
        actor=principal.subject,
        action=ACTION,
        entity_type="application",
        entity_id=str(app.id),
        data={
            "reason": mask_pii(body.reason),
            "actor_name": principal.name,
            "department": principal.department,
        },
    )
    out["audit_seq"] = await audit.flush(session)
    return RevealedText.model_validate(out)


@router.get(
    "/{application_id}/reveals",
    summary="申报原文查看记录（审计日志中的查看原文条目）",
    response_model=RevealPage,
)
async def list_reveals(
    application_id: uuid.UUID, request: Request, session: SessionDep, principal: OfficerReviewerOrApprover
) -> RevealPage | JSONResponse:
    checked = await _checked(session, request, application_id, principal)
    if isinstance(checked, JSONResponse):
        return checked
    rows = await repository.audit_entries(session, action=ACTION, application_id=application_id)
    return RevealPage.model_validate(
        {
            "items": [
                {
                    "seq": r.seq,
                    "at": r.occurred_at,
                    "actor": r.actor,
                    "actor_name": r.data.get("actor_name"),
                    "reason": r.data.get("reason"),
                }
                for r in rows
            ]
        }
    )
