"""公示 objections (异议): filed by anyone during the notice, resolved by the program department's officer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.objections import service
from kunruyi_disbursement.objections.auth import Officer, ReadPartnerOrStaff
from kunruyi_disbursement.objections.schemas import (
    ObjectionIn,
    ObjectionList,
    ObjectionOut,
    ObjectionReceipt,
    ResolutionIn,
)

TAG = "人才计划 talent programs"
router = APIRouter(prefix="/api/v1", tags=[TAG])


@router.post(
    "/program-notices/{call_id}/objections",
    status_code=201,
    summary="对公示名单中的入选申报提出异议（公开；公示期内）",
)
async def file_objection(call_id: uuid.UUID, body: ObjectionIn, session: SessionDep) -> ObjectionReceipt:
    return await service.file(session, call_id, body)


@router.get(
    "/program-calls/{call_id}/objections", summary="批次的公示异议及处理结果", response_model=ObjectionList
)
async def list_objections(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> ObjectionList | JSONResponse:
    async def call() -> ObjectionList:
        return ObjectionList(items=await service.list_for_call(session, call_id, principal))

    return await audited(session, request, principal, call)


@router.get(
    "/program-objections/{objection_id}",
    summary="公示异议详情（其他部门的工作人员 403）",
    response_model=ObjectionOut,
)
async def get_objection(
    objection_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> ObjectionOut | JSONResponse:
    async def call() -> ObjectionOut:
        return service.view(await service.readable_objection(session, objection_id, principal))

    return await audited(session, request, principal, call)


@router.post(
    "/program-objections/{objection_id}/resolution",
    summary="处理公示异议：成立（撤销入选，名额内按排名递补）或不成立（维持入选）（主管部门经办人）",
    response_model=ObjectionOut,
)
async def resolve_objection(
    objection_id: uuid.UUID, body: ResolutionIn, request: Request, session: SessionDep, principal: Officer
) -> ObjectionOut | JSONResponse:
    async def call() -> ObjectionOut:
        return await service.resolve(session, objection_id, body, principal)

    return await audited(session, request, principal, call)
