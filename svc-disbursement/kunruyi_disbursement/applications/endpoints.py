from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import EmptyFile, PayloadTooLarge
from kunruyi_common.idempotency import idempotent

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.applications import service, workflow
from kunruyi_disbursement.applications.auth import (
    OfficerOrReviewer,
    ReadPartnerOrStaff,
    WritePartnerOrOfficer,
)
from kunruyi_disbursement.applications.free_text import bind_text_cipher
from kunruyi_disbursement.applications.schemas import (
    ApplicationDetail,
    ApplicationIn,
    ApplicationPage,
    ApplicationRead,
    AttachmentStored,
    ObjectionIn,
    RejectIn,
    ReturnIn,
    StepIn,
)
from kunruyi_disbursement.applications.storage import attachment_store
from kunruyi_disbursement.policies.calculator_client import CalculatorDep
from kunruyi_disbursement.settings import Settings

router = APIRouter(
    prefix="/api/v1/applications", tags=["兑现申请 applications"], dependencies=[Depends(bind_text_cipher)]
)


@router.post(
    "",
    status_code=201,
    response_model=ApplicationRead,
    summary="提交申报（API 或一企来办转入）；不填 amount_fen 时按 svc-policy 政策计算器算出的金额申报",
)
async def submit(
    body: ApplicationIn,
    request: Request,
    session: SessionDep,
    principal: WritePartnerOrOfficer,
    calculator: CalculatorDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """An officer submits for applicants to their department's policies (403 ``other_department``, audited)."""

    async def produce() -> tuple[int, Any]:
        return 201, service.view(await service.submit(session, body, principal, calculator))

    async def call() -> JSONResponse:
        return await idempotent(
            session,
            idempotency_key,
            principal,
            "POST /api/v1/applications",
            body.model_dump(mode="json"),
            produce,
        )

    return await audited(session, request, principal, call)


@router.get("", summary="申报列表（工作人员仅见本部门政策的申报；管理员见全部）")
async def list_applications(
    session: SessionDep,
    principal: ReadPartnerOrStaff,
    status: str | None = None,
    policy_code: str | None = None,
    applicant_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> ApplicationPage:
    return ApplicationPage.model_validate(
        await service.list_applications(
            session,
            status=status,
            policy_code=policy_code,
            applicant_id=applicant_id,
            limit=limit,
            cursor=cursor,
            full_names=principal.kind in ("staff", "service"),
            principal=principal,
        )
    )


@router.get(
    "/{application_id}",
    summary="申报详情（含每一步的经办人、时间、意见；其他部门的工作人员 403）",
    response_model=ApplicationDetail,
)
async def get_application(
    application_id: uuid.UUID, request: Request, session: SessionDep, principal: ReadPartnerOrStaff
) -> ApplicationDetail | JSONResponse:
    async def call() -> ApplicationDetail:
        return ApplicationDetail.model_validate(
            await service.detail(
                session,
                application_id,
                full_names=principal.kind in ("staff", "service"),
                principal=principal,
            )
        )

    return await audited(session, request, principal, call)


@router.post(
    "/{application_id}/steps",
    summary="推进到下一审核环节（受理/初审/复审/公示/审定；政策所属部门办理，初审、复审、审定须三人）",
    response_model=ApplicationRead,
)
async def advance(
    application_id: uuid.UUID,
    body: StepIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationRead | JSONResponse:
    async def call() -> ApplicationRead:
        return ApplicationRead.model_validate(
            service.view(await workflow.advance(session, application_id, body, principal))
        )

    return await audited(session, request, principal, call)


@router.post("/{application_id}/reject", summary="不予通过（须说明理由）", response_model=ApplicationRead)
async def reject(
    application_id: uuid.UUID,
    body: RejectIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationRead | JSONResponse:
    async def call() -> ApplicationRead:
        return ApplicationRead.model_validate(
            service.view(await workflow.reject(session, application_id, body, principal))
        )

    return await audited(session, request, principal, call)


@router.post("/{application_id}/return", summary="退回补正", response_model=ApplicationRead)
async def return_for_supplement(
    application_id: uuid.UUID,
    body: ReturnIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationRead | JSONResponse:
    async def call() -> ApplicationRead:
        return ApplicationRead.model_validate(
            service.view(await workflow.return_for_supplement(session, application_id, body, principal))
        )

    return await audited(session, request, principal, call)


@router.post("/{application_id}/resubmit", summary="补正后重新提交", response_model=ApplicationRead)
async def resubmit(
    application_id: uuid.UUID, request: Request, session: SessionDep, principal: WritePartnerOrOfficer
) -> ApplicationRead | JSONResponse:
    async def call() -> ApplicationRead:
        return ApplicationRead.model_validate(
            service.view(await workflow.resubmit(session, application_id, None, principal))
        )

    return await audited(session, request, principal, call)


@router.post(
    "/{application_id}/objections",
    status_code=201,
    summary="登记公示期异议",
    response_model=ApplicationDetail,
)
async def object_to(
    application_id: uuid.UUID,
    body: ObjectionIn,
    request: Request,
    session: SessionDep,
    principal: OfficerOrReviewer,
) -> ApplicationDetail | JSONResponse:
    async def call() -> ApplicationDetail:
        await workflow.object_to(session, application_id, body, principal)
        return ApplicationDetail.model_validate(
            await service.detail(session, application_id, principal=principal)
        )

    return await audited(session, request, principal, call)


@router.post(
    "/{application_id}/attachments",
    status_code=201,
    response_model=AttachmentStored,
    summary="上传申报材料（保存 SHA-256；工作人员须为政策所属部门）",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "examples": {
                        "pdf": {"summary": "一个文件（字段名 file）", "value": {"file": "营业执照.pdf"}}
                    }
                }
            }
        }
    },
)
async def upload_attachment(
    application_id: uuid.UUID,
    file: UploadFile,
    request: Request,
    session: SessionDep,
    principal: WritePartnerOrOfficer,
) -> AttachmentStored | JSONResponse:
    settings: Settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1)
    if len(content) > settings.attachment_max_bytes:
        raise PayloadTooLarge(f"附件超过 {settings.attachment_max_bytes} 字节", field="file")
    if not content:
        raise EmptyFile("附件为空", field="file")

    async def call() -> AttachmentStored:
        stored = await service.store_attachment(
            session,
            application_id,
            file.filename or "attachment",
            file.content_type,
            content,
            attachment_store(settings),
            principal,
        )
        return AttachmentStored.model_validate(stored)

    return await audited(session, request, principal, call)
