"""Funding agreements (资助协议) of selected program applications: tranches tied to milestones, their release as
disbursements of the program's budget, and the yearly 绩效评估."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import idempotent

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.agreements import service
from kunruyi_disbursement.agreements.auth import Approver, Officer, ReadPartnerOrStaff
from kunruyi_disbursement.agreements.schemas import (
    AcceptanceIn,
    AgreementIn,
    AgreementList,
    AgreementOut,
    AssessmentIn,
    ConfirmIn,
    ReleaseIn,
)

TAG = "人才计划 talent programs"
router = APIRouter(prefix="/api/v1", tags=[TAG])

Seq = Annotated[int, Path(ge=1, le=100, description="期次（从 1 起）")]


@router.post(
    "/program-applications/{application_id}/agreement",
    status_code=201,
    summary="为入选申报签订资助协议：总额分期，每期对应一个里程碑（主管部门）",
    response_model=AgreementOut,
)
async def create_agreement(
    application_id: uuid.UUID, body: AgreementIn, request: Request, session: SessionDep, principal: Officer
) -> AgreementOut | JSONResponse:
    async def call() -> AgreementOut:
        return await service.create(session, application_id, body, principal)

    return await audited(session, request, principal, call)


@router.get(
    "/program-calls/{call_id}/agreements",
    summary="批次的资助协议列表（其他部门的工作人员 403）",
    response_model=AgreementList,
)
async def list_agreements(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> AgreementList | JSONResponse:
    async def call() -> AgreementList:
        return AgreementList(items=await service.list_for_call(session, call_id, principal))

    return await audited(session, request, principal, call)


@router.get(
    "/funding-agreements/{agreement_id}",
    summary="资助协议详情：分期、里程碑、拨付与绩效评估（其他部门的工作人员 403）",
    response_model=AgreementOut,
)
async def get_agreement(
    agreement_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> AgreementOut | JSONResponse:
    async def call() -> AgreementOut:
        return await service.readable_view(session, agreement_id, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/funding-agreements/{agreement_id}/tranches/{seq}/confirm",
    summary="确认里程碑（主管部门经办人，附佐证说明）",
    response_model=AgreementOut,
)
async def confirm_milestone(
    agreement_id: uuid.UUID,
    seq: Seq,
    body: ConfirmIn,
    request: Request,
    session: SessionDep,
    principal: Officer,
) -> AgreementOut | JSONResponse:
    async def call() -> AgreementOut:
        return await service.confirm(session, agreement_id, seq, body, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/funding-agreements/{agreement_id}/tranches/{seq}/release",
    summary="拨付已确认里程碑的一期（主管部门审批人，非里程碑确认人；从计划预算经银行支付一次）",
    response_model=AgreementOut,
)
async def release_tranche(
    agreement_id: uuid.UUID,
    seq: Seq,
    body: ReleaseIn,
    request: Request,
    session: SessionDep,
    principal: Approver,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    async def produce() -> tuple[int, Any]:
        return 200, await service.release(session, agreement_id, seq, body, principal)

    async def call() -> JSONResponse:
        return await idempotent(
            session,
            idempotency_key,
            principal,
            f"POST /api/v1/funding-agreements/{agreement_id}/tranches/{seq}/release",
            body.model_dump(),
            produce,
        )

    return await audited(session, request, principal, call)


@router.post(
    "/funding-agreements/{agreement_id}/assessments",
    status_code=201,
    summary="录入年度绩效评估：通过（确认当年考核里程碑）或不通过（暂停或终止剩余期次）",
    response_model=AgreementOut,
)
async def record_assessment(
    agreement_id: uuid.UUID, body: AssessmentIn, request: Request, session: SessionDep, principal: Officer
) -> AgreementOut | JSONResponse:
    async def call() -> AgreementOut:
        return await service.assess(session, agreement_id, body, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/funding-agreements/{agreement_id}/acceptance",
    status_code=201,
    summary="录入验收：常规评审结果，或绿色通道（计划期内企业晋升高企、专精特新、瞪羚、独角兽培育或规上，直接通过）",
    response_model=AgreementOut,
)
async def record_acceptance(
    agreement_id: uuid.UUID, body: AcceptanceIn, request: Request, session: SessionDep, principal: Officer
) -> AgreementOut | JSONResponse:
    async def call() -> AgreementOut:
        return await service.accept(session, agreement_id, body, principal)

    return await audited(session, request, principal, call)
