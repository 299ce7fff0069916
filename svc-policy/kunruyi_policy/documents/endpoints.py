from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from kunruyi_common.auth import OptionalPrincipal
from kunruyi_common.db import SessionDep

from kunruyi_policy.catalog.access import department_reader
from kunruyi_policy.documents.schemas import (
    DocumentCreate,
    DocumentItems,
    DocumentList,
    DocumentOut,
    DocumentUpdate,
)
from kunruyi_policy.documents.service import (
    create_document,
    document_items,
    list_documents,
    update_document,
)
from kunruyi_policy.management.auth import Officer

router = APIRouter(prefix="/api/v1", tags=["政策文件 documents"])


@router.get(
    "/policy-documents",
    response_model=DocumentList,
    summary="政策文件（1+N+X：1 个总体政策、N 个专项政策、X 个实施细则）及其条目数",
)
async def get_documents(session: SessionDep, principal: OptionalPrincipal) -> dict[str, Any]:
    reader = await department_reader(session, principal)
    return {"items": await list_documents(session, reader=reader)}


@router.get(
    "/policy-documents/{code}/items",
    response_model=DocumentItems,
    summary="一个政策文件及以它为依据的政策条目",
)
async def get_document_items(code: str, session: SessionDep, principal: OptionalPrincipal) -> dict[str, Any]:
    return await document_items(session, code, reader=await department_reader(session, principal))


@router.post(
    "/policy-documents",
    response_model=DocumentOut,
    status_code=201,
    summary="新增政策文件（1+N+X 层级：N 挂在 1 下，X 挂在 N 下）；此后政策条目和目录表格可引用它",
    responses={
        409: {"description": "`document_exists` 编码已存在；`document_number_taken` 文号已被使用"},
        422: {"description": "`unknown_parent_document` 上级不存在；`document_level_mismatch` 层级不符"},
    },
)
async def post_document(body: DocumentCreate, session: SessionDep, principal: Officer) -> dict[str, Any]:
    return await create_document(session, body, await department_reader(session, principal))


@router.patch(
    "/policy-documents/{code}",
    response_model=DocumentOut,
    summary="修改政策文件（文号、标题、层级、上级…）；上级链不得成环，层级须与上下级相符",
    responses={
        404: {"description": "`document_not_found` 政策文件不存在"},
        409: {"description": "`document_number_taken` 文号已由其他文件使用"},
        422: {
            "description": "`unknown_parent_document` 上级不存在；`document_level_mismatch` 层级不符；"
            "`document_parent_cycle` 上级成环"
        },
    },
)
async def patch_document(
    code: str, body: DocumentUpdate, session: SessionDep, principal: Officer
) -> dict[str, Any]:
    return await update_document(session, code, body, await department_reader(session, principal))
