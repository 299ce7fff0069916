"""Talent programs (双创人才, 双创团队, 头雁人才 …): calls, applications, expert review, selection and 公示."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.policies.calculator_client import CalculatorDep
from kunruyi_disbursement.programs import service
from kunruyi_disbursement.programs.auth import (
    Approver,
    Officer,
    ReadPartnerOrStaff,
    Reviewer,
    WritePartnerOrOfficer,
)
from kunruyi_disbursement.programs.schemas import (
    CallIn,
    CallOut,
    CallSummaryList,
    ConflictIn,
    ConflictOut,
    NoticeOut,
    PanelIn,
    ProgramApplicationIn,
    ProgramApplicationList,
    ProgramApplicationOut,
    ProgramIn,
    ProgramList,
    ProgramOut,
    RankingOut,
    ScoreIn,
    ScoreOut,
    SelectionIn,
)

TAG = "人才计划 talent programs"
router = APIRouter(prefix="/api/v1", tags=[TAG])


@router.post("/programs", status_code=201, summary="登记人才计划（主管部门）", response_model=ProgramOut)
async def create_program(
    body: ProgramIn, request: Request, session: SessionDep, principal: Officer
) -> ProgramOut | JSONResponse:
    async def call() -> ProgramOut:
        return await service.create_program(session, body, principal)

    return await audited(session, request, principal, call)


@router.get("/programs", summary="人才计划列表")
async def list_programs(session: SessionDep, principal: ReadPartnerOrStaff) -> ProgramList:
    return ProgramList(items=await service.list_programs(session))


@router.post(
    "/programs/{program_id}/calls",
    status_code=201,
    summary="发布年度批次：申报窗口、分类名额、资助档次（主管部门）",
    response_model=CallOut,
)
async def open_call(
    program_id: uuid.UUID, body: CallIn, request: Request, session: SessionDep, principal: Officer
) -> CallOut | JSONResponse:
    async def call() -> CallOut:
        return await service.open_call(session, program_id, body, principal)

    return await audited(session, request, principal, call)


@router.get(
    "/program-calls",
    summary="批次列表：申报窗口、名额、状态及申报、入选、公示异议计数（工作人员仅见本部门）",
    response_model=CallSummaryList,
)
async def list_calls(
    request: Request,
    session: SessionDep,
    principal: ReadPartnerOrStaff,
    program: Annotated[uuid.UUID | None, Query(description="人才计划 id（须为本部门的计划）")] = None,
    status: Annotated[
        Literal["open", "closed", "selected", "public_notice"] | None, Query(description="批次状态")
    ] = None,
) -> CallSummaryList | JSONResponse:
    async def call() -> CallSummaryList:
        return CallSummaryList(
            items=await service.list_calls(session, principal, program_id=program, status=status)
        )

    return await audited(session, request, principal, call)


@router.get("/program-calls/{call_id}", summary="批次详情", response_model=CallOut)
async def get_call(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> CallOut | JSONResponse:
    async def call() -> CallOut:
        return await service.call_view(session, await service.readable_call(session, call_id, principal))

    return await audited(session, request, principal, call)


@router.post("/program-calls/{call_id}/close", summary="提前截止申报（主管部门）", response_model=CallOut)
async def close_call(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: Officer
) -> CallOut | JSONResponse:
    async def call() -> CallOut:
        return await service.close_call(session, call_id, principal)

    return await audited(session, request, principal, call)


@router.post("/program-calls/{call_id}/panel", summary="组建评审专家组（主管部门）", response_model=CallOut)
async def set_panel(
    call_id: uuid.UUID, body: PanelIn, request: Request, session: SessionDep, principal: Officer
) -> CallOut | JSONResponse:
    async def call() -> CallOut:
        return await service.set_panel(session, call_id, body, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/program-calls/{call_id}/applications",
    status_code=201,
    summary="提交人才计划申报（申报期内，每人每批次一次；未落地先评审可暂不填企业）",
    response_model=ProgramApplicationOut,
)
async def apply(
    call_id: uuid.UUID,
    body: ProgramApplicationIn,
    request: Request,
    session: SessionDep,
    principal: WritePartnerOrOfficer,
    calculator: CalculatorDep,
) -> ProgramApplicationOut | JSONResponse:
    """When the call names an eligibility policy, svc-policy's calculator decides on the applicant's file first:
    422 ``program_applicant_not_eligible`` (the failed criteria named), 422 ``program_applicant_not_on_file``,
    503 ``policy_unavailable`` — nothing written in any of them. An officer applies for talents of their own
    department's programs only (403 ``other_department``, audited)."""

    async def call() -> ProgramApplicationOut:
        return await service.apply(session, call_id, body, principal, calculator)

    return await audited(session, request, principal, call)


@router.get(
    "/program-calls/{call_id}/applications", summary="批次的申报列表", response_model=ProgramApplicationList
)
async def list_applications(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> ProgramApplicationList | JSONResponse:
    async def call() -> ProgramApplicationList:
        return ProgramApplicationList(items=await service.list_applications(session, call_id, principal))

    return await audited(session, request, principal, call)


@router.post(
    "/program-calls/{call_id}/conflicts",
    status_code=201,
    summary="评审专家申报利益冲突（回避）",
    response_model=ConflictOut,
)
async def declare_conflict(
    call_id: uuid.UUID, body: ConflictIn, request: Request, session: SessionDep, principal: Reviewer
) -> ConflictOut | JSONResponse:
    async def call() -> ConflictOut:
        return await service.declare_conflict(session, call_id, body, principal)

    return await audited(session, request, principal, call)


@router.get(
    "/program-calls/{call_id}/ranking",
    summary="评审排名（专家内标准化后按类别排名）",
    response_model=RankingOut,
)
async def ranking(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> RankingOut | JSONResponse:
    async def call() -> RankingOut:
        return await service.ranking(session, call_id, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/program-calls/{call_id}/selection",
    summary="按排名在名额内遴选（主管部门审批人，非评审专家）",
    response_model=RankingOut,
)
async def select(
    call_id: uuid.UUID, body: SelectionIn, request: Request, session: SessionDep, principal: Approver
) -> RankingOut | JSONResponse:
    async def call() -> RankingOut:
        return await service.select(session, call_id, principal)

    return await audited(session, request, principal, call)


@router.post(
    "/program-calls/{call_id}/notice", summary="发布入选名单公示（主管部门审批人）", response_model=NoticeOut
)
async def publish_notice(
    call_id: uuid.UUID, request: Request, session: SessionDep, principal: Approver
) -> NoticeOut | JSONResponse:
    async def call() -> NoticeOut:
        return await service.publish_notice(session, call_id, principal)

    return await audited(session, request, principal, call)


@router.get(
    "/program-applications/{application_id}",
    summary="人才计划申报详情（计划主管部门与评审组专家；其他部门的工作人员 403）",
    response_model=ProgramApplicationOut,
)
async def get_application(
    application_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> ProgramApplicationOut | JSONResponse:
    async def call() -> ProgramApplicationOut:
        return service.application_view(
            await service.readable_application(session, application_id, principal)
        )

    return await audited(session, request, principal, call)


@router.post(
    "/program-applications/{application_id}/scores",
    status_code=201,
    summary="评审专家打分（0–100，每人一次，回避的不能打）",
    response_model=ScoreOut,
)
async def score(
    application_id: uuid.UUID, body: ScoreIn, request: Request, session: SessionDep, principal: Reviewer
) -> ScoreOut | JSONResponse:
    async def call() -> ScoreOut:
        return await service.score(session, application_id, body, principal)

    return await audited(session, request, principal, call)


@router.get("/program-notices/{call_id}", summary="入选名单公示（公开）")
async def public_notice(call_id: uuid.UUID, session: SessionDep) -> NoticeOut:
    return await service.notice(session, call_id, public=True)
