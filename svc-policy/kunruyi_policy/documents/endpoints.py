from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from kunruyi_common.auth import OptionalPrincipal
from kunruyi_common.db import SessionDep

from kunruyi_policy.documents.schemas import DocumentItems, DocumentList
from kunruyi_policy.documents.service import document_items, list_documents

router = APIRouter(prefix="/api/v1", tags=["政策文件 documents"])


def _is_staff(principal: Any) -> bool:
    return principal is not None and principal.kind == "staff"


@router.get(
    "/policy-documents",
    response_model=DocumentList,
    summary="政策文件（1+N+X：1 个总体政策、N 个专项政策、X 个实施细则）及其条目数",
)
async def get_documents(session: SessionDep, principal: OptionalPrincipal) -> dict[str, Any]:
    return {"items": await list_documents(session, include_drafts=_is_staff(principal))}


@router.get(
    "/policy-documents/{code}/items",
    response_model=DocumentItems,
    summary="一个政策文件及以它为依据的政策条目",
)
async def get_document_items(code: str, session: SessionDep, principal: OptionalPrincipal) -> dict[str, Any]:
    return await document_items(session, code, include_drafts=_is_staff(principal))
