from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import ScopeDenied
from kunruyi_common.idempotency import idempotent

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.disbursements import service
from kunruyi_disbursement.disbursements.auth import Approver, OfficerReviewerApproverOrFinance
from kunruyi_disbursement.disbursements.schemas import (
    DisbursementPage,
    DisbursementRead,
    ReissueBody,
    RejectBody,
)

router = APIRouter(prefix="/api/v1/disbursements", tags=["资金拨付 disbursements"])
STAFF_ROLES = ("officer", "reviewer", "approver", "finance")


@router.get("", summary="拨付列表（审批队列、企业的昆e服页面；工作人员仅见本部门）")
async def list_disbursements(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[service.Status | None, Query(description="按拨付状态筛选")] = None,
    entity_id: str | None = None,
    policy_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> DisbursementPage:
    # Staff see their department's (admins and internal services everything); a 昆e服 page only the entity its code
    # points at.
    if not (
        principal.kind in ("staff", "service")
        and (principal.kind == "service" or principal.has_role(*STAFF_ROLES))
    ):
        if principal.kind == "public" and principal.target and principal.target == entity_id:
            pass
        elif principal.kind == "partner" and principal.has_scope("disbursement:read"):
            pass
        else:
            raise ScopeDenied("无权查看拨付记录")
    return DisbursementPage.model_validate(
        await service.list_disbursements(
            session,
            status=status,
            entity_id=entity_id,
            policy_code=policy_code,
            limit=limit,
            cursor=cursor,
            full_names=principal.kind in ("staff", "service"),
            principal=principal,
        )
    )


@router.get(
    "/{disbursement_id}", summary="拨付详情（其他部门的工作人员 403）", response_model=DisbursementRead
)
async def get_disbursement(
    disbursement_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: OfficerReviewerApproverOrFinance,
) -> DisbursementRead | JSONResponse:
    async def call() -> DisbursementRead:
        d = await service.readable(session, disbursement_id, principal)
        (named,) = await service.labelled(session, [service.view(d)], full_names=True)
        return DisbursementRead.model_validate(named)

    return await audited(session, request, principal, call)


@router.post(
    "/{disbursement_id}/approve",
    summary="审批通过（超过自动审批额度的免申即享拨付；政策所属部门）",
    response_model=DisbursementRead,
)
async def approve(
    disbursement_id: uuid.UUID, request: Request, session: SessionDep, principal: Approver
) -> DisbursementRead | JSONResponse:
    async def call() -> DisbursementRead:
        d = await service.approve(session, disbursement_id, principal.subject, principal)
        return DisbursementRead.model_validate(service.view(d))

    return await audited(session, request, principal, call)


@router.post("/{disbursement_id}/reject", summary="驳回拨付（政策所属部门）", response_model=DisbursementRead)
async def reject(
    disbursement_id: uuid.UUID, body: RejectBody, request: Request, session: SessionDep, principal: Approver
) -> DisbursementRead | JSONResponse:
    async def call() -> DisbursementRead:
        d = await service.reject(session, disbursement_id, principal.subject, body.reason, principal)
        return DisbursementRead.model_validate(service.view(d))

    return await audited(session, request, principal, call)


@router.post(
    "/{disbursement_id}/reissue",
    summary="重新支付（支付失败或被退回的拨付，新的银行参考号）",
    response_model=DisbursementRead,
)
async def reissue(
    disbursement_id: uuid.UUID,
    body: ReissueBody,
    request: Request,
    session: SessionDep,
    principal: Approver,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    async def produce() -> tuple[int, Any]:
        return 200, service.view(
            await service.reissue(session, disbursement_id, principal.subject, body.comment, principal)
        )

    async def call() -> JSONResponse:
        return await idempotent(
            session,
            idempotency_key,
            principal,
            f"POST /api/v1/disbursements/{disbursement_id}/reissue",
            body.model_dump(),
            produce,
        )

    return await audited(session, request, principal, call)
