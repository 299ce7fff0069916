"""Batch name lookups: the console (and other staff screens) show a company's or a talent's name beside its code.

One call for a whole page of codes, instead of one call per row. Registered before the enterprise and talent
routers so ``/enterprises/names`` is not read as an enterprise code.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep
from sqlalchemy import select

from kunruyi_talent.access import can_read_registry
from kunruyi_talent.exceptions import EnterpriseForbidden, TalentForbidden
from kunruyi_talent.models import Enterprise, Talent
from kunruyi_talent.names.schemas import EnterpriseName, EnterpriseNames, TalentName, TalentNames

router = APIRouter(prefix="/api/v1", tags=["企业档案 enterprises"])

MAX_CODES = 200


@router.get("/enterprises/names", response_model=EnterpriseNames, summary="按统一社会信用代码批量查企业名称")
async def enterprise_names(
    session: SessionDep,
    principal: CurrentPrincipal,
    uscc: Annotated[
        list[str], Query(max_length=MAX_CODES, description="统一社会信用代码，可重复，最多 200 个")
    ],
) -> EnterpriseNames:
    if not can_read_registry(principal):
        raise EnterpriseForbidden("无权查看企业档案")
    wanted = {u.strip().upper() for u in uscc if u.strip()}
    rows = (
        await session.execute(select(Enterprise.uscc, Enterprise.name).where(Enterprise.uscc.in_(wanted)))
    ).all()
    return EnterpriseNames(items=[EnterpriseName(uscc=u, name=n) for u, n in sorted(rows)])


@router.get("/talents/names", response_model=TalentNames, summary="按人才编号批量查人才姓名")
async def talent_names(
    session: SessionDep,
    principal: CurrentPrincipal,
    id: Annotated[
        list[uuid.UUID], Query(max_length=MAX_CODES, description="人才编号（talent_id），可重复，最多 200 个")
    ],
) -> TalentNames:
    if not can_read_registry(principal):
        raise TalentForbidden("无权查看人才档案")
    rows = (await session.execute(select(Talent.id, Talent.name).where(Talent.id.in_(set(id))))).all()
    return TalentNames(items=[TalentName(id=i, name=n) for i, n in sorted(rows, key=lambda r: str(r[0]))])
