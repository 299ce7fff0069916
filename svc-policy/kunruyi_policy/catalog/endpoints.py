from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from kunruyi_common.auth import OptionalPrincipal
from kunruyi_common.db import SessionDep
from sqlalchemy import select

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.access import department_reader
from kunruyi_policy.catalog.schemas import (
    Beneficiary,
    CategoryList,
    DepartmentList,
    Mode,
    PolicyDetailOut,
    PolicyPage,
    PolicyType,
    Status,
    ThemeList,
)
from kunruyi_policy.catalog.service import PolicyFilters, list_policies, policy_detail
from kunruyi_policy.exceptions import PolicyNotFound
from kunruyi_policy.models import Department, PolicyCategory, PolicyTheme

router = APIRouter(prefix="/api/v1", tags=["政策目录 catalog"])


@router.get(
    "/policies", response_model=PolicyPage, summary="政策查询：筛选、中文全文检索（按相关度排序）、游标分页"
)
async def get_policies(
    session: SessionDep,
    principal: OptionalPrincipal,
    q: Annotated[str | None, Query(max_length=100, description="中文全文检索")] = None,
    department: str | None = None,
    category: str | None = None,
    theme: str | None = None,
    policy_type: Annotated[PolicyType | None, Query(alias="type")] = None,
    mode: Mode | None = None,
    beneficiary: Beneficiary | None = None,
    status: Status | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    filters = PolicyFilters(department, category, theme, policy_type, mode, beneficiary, status, tag)
    reader = await department_reader(session, principal)
    return await list_policies(session, filters, q=q, limit=limit, cursor=cursor, reader=reader)


@router.get("/policies/{code}", response_model=PolicyDetailOut, summary="政策详情（含现行规则与全部版本）")
async def get_policy(code: str, session: SessionDep, principal: OptionalPrincipal) -> dict[str, Any]:
    policy = await repository.get_policy(session, code)
    reader = await department_reader(session, principal)
    if policy is None or (policy.status == "draft" and not reader.staff):
        raise PolicyNotFound(f"政策 {code} 不存在")
    names = await repository.load_names(session)
    if policy.status == "draft":
        reader.check_draft(policy, names.departments.get(policy.department_code, ""))
    versions = await repository.versions_of(session, policy.id)
    if not reader.sees_drafts_of(policy.department_code):
        # another department's open draft version is theirs: the published versions, as the public reads them
        versions = [v for v in versions if v.state == "published"]
    return policy_detail(policy, names, versions)


@router.get("/departments", response_model=DepartmentList, summary="政策部门")
async def get_departments(session: SessionDep) -> dict[str, Any]:
    rows = (await session.execute(select(Department).order_by(Department.sort_order))).scalars()
    return {"items": [{"code": d.code, "name": d.name} for d in rows]}


@router.get("/policy-categories", response_model=CategoryList, summary="政策大类（含主题服务）")
async def get_categories(session: SessionDep) -> dict[str, Any]:
    categories = (await session.execute(select(PolicyCategory).order_by(PolicyCategory.sort_order))).scalars()
    themes = list((await session.execute(select(PolicyTheme).order_by(PolicyTheme.sort_order))).scalars())
    return {
        "items": [
            {
                "code": c.code,
                "name": c.name,
                "themes": [
                    {"code": t.code, "name": t.name, "category_code": t.category_code}
                    for t in themes
                    if t.category_code == c.code
                ],
            }
            for c in categories
        ]
    }


@router.get("/policy-themes", response_model=ThemeList, summary="主题服务")
async def get_themes(session: SessionDep, category: str | None = None) -> dict[str, Any]:
    query = select(PolicyTheme).order_by(PolicyTheme.sort_order)
    if category:
        query = query.where(PolicyTheme.category_code == category)
    rows = (await session.execute(query)).scalars()
    return {"items": [{"code": t.code, "name": t.name, "category_code": t.category_code} for t in rows]}
