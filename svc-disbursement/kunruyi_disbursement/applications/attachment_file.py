"""An application's uploaded material, read back: reviewers open it in the browser (PDF, images and plain text
inline when the bytes are what the upload declared; anything else as a download, ``attachment_content``). The stored
SHA-256 is checked on the way out, so a changed file is refused, not shown. Read by whoever may read the application
(staff of another department: 403 ``other_department``)."""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from kunruyi_common.db import SessionDep
from kunruyi_common.file_types import DOWNLOAD
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.access import audited
from kunruyi_disbursement.applications import service
from kunruyi_disbursement.applications.attachment_content import clean_filename, served_type
from kunruyi_disbursement.applications.auth import ReadPartnerOrStaff
from kunruyi_disbursement.applications.exceptions import AttachmentNotFound, AttachmentStoreUnavailable
from kunruyi_disbursement.applications.storage import AttachmentStoreError, attachment_store
from kunruyi_disbursement.settings import Settings

router = APIRouter(prefix="/api/v1/applications", tags=["兑现申请 applications"])


@router.get(
    "/{application_id}/attachments/{attachment_id}",
    summary="查看申报材料原件（PDF、图片在浏览器中打开；校验 SHA-256）",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "材料原件",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def read_attachment(
    application_id: uuid.UUID,
    attachment_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: ReadPartnerOrStaff,
) -> Response:
    async def call() -> Response:
        # The application's readers only: staff of another department are refused (403, audited).
        await service.readable(session, application_id, principal)
        return await _material(request, session, application_id, attachment_id)

    return await audited(session, request, principal, call)


async def _material(
    request: Request, session: AsyncSession, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> Response:
    row = (
        await session.execute(
            text(
                "SELECT filename, content_type, sha256, storage_key FROM application_attachments "
                "WHERE id = :id AND application_id = :a"
            ),
            {"id": attachment_id, "a": application_id},
        )
    ).first()
    if row is None:
        raise AttachmentNotFound("该申报没有这份材料")
    settings: Settings = request.app.state.settings
    try:
        content = await attachment_store(settings).get(row.storage_key)
    except (AttachmentStoreError, OSError) as exc:
        raise AttachmentStoreUnavailable(f"附件存储不可用：{exc}") from exc
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise AttachmentStoreUnavailable("材料与上传时的 SHA-256 不一致，已拒绝显示")
    media = served_type(row.content_type, content)
    disposition = "attachment" if media == DOWNLOAD else "inline"
    return Response(
        content,
        media_type=f"{media}; charset=utf-8" if media == "text/plain" else media,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(clean_filename(row.filename))}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "Cache-Control": "private, no-store",
        },
    )
