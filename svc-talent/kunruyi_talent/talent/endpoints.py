from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.clock import local_today
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import InvalidCursor
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.pagination import decode_cursor, encode_cursor
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of, can_read_registry, ensure_can_read_talent, talent_self_id
from kunruyi_talent.deps import PersonalDataDep
from kunruyi_talent.exceptions import TalentForbidden
from kunruyi_talent.models import Enterprise, Talent
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.talent import service
from kunruyi_talent.talent.auth import TalentLookupStaff, WritePartnerOrOfficer
from kunruyi_talent.talent.exceptions import TalentNotFound
from kunruyi_talent.talent.profiles import age_on, birth_date_of
from kunruyi_talent.talent.schemas import (
    EmployerOut,
    HistoryEntry,
    TalentCreate,
    TalentPage,
    TalentRead,
    TalentUpdate,
)

logger = logging.getLogger("kunruyi.talent.registry")
router = APIRouter(prefix="/api/v1", tags=["人才画像 talents"])


def to_read(
    t: Talent, employer: Enterprise | None, pii: PersonalData, *, with_birth_date: bool = False
) -> TalentRead:
    """``with_birth_date`` only for the talent themself and for a lookup by the full ID number (the caller holds the
    number already): beside the mask, a birth date is eight of the hidden digits."""
    born = birth_date_of(pii, t)
    return TalentRead(
        talent_id=t.id,
        name=t.name,
        id_number=t.id_number_masked,
        gender=t.gender,
        birth_date=born if with_birth_date else None,
        age=age_on(born, local_today()),
        phone=t.phone_masked,
        education=t.education,
        school=t.school,
        overseas=t.overseas,
        title=t.title,
        skill_level=t.skill_level,
        programs=list(t.programs),
        talent_class=t.talent_class,
        employer=EmployerOut(uscc=employer.uscc, name=employer.name) if employer else None,
        arrival_date=t.arrival_date,
        annual_salary_fen=t.annual_salary_fen,
        tags=list(t.tags),
        expertise=t.expertise,
        fields=list(t.fields),
        is_expert=t.is_expert,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


async def read_one(
    session: AsyncSession, t: Talent, pii: PersonalData, *, with_birth_date: bool = False
) -> TalentRead:
    employer = await session.get(Enterprise, t.employer_id) if t.employer_id else None
    return to_read(t, employer, pii, with_birth_date=with_birth_date)


@router.post("/talents", status_code=201, response_model=TalentRead, summary="人才建档")
async def create_talent(
    body: TalentCreate,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: WritePartnerOrOfficer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> tuple[int, TalentRead]:
        talent = await service.register(session, pii, body, actor_of(principal))
        return 201, await read_one(session, talent, pii)

    return await idempotent(session, idempotency_key, principal, "talents", body, produce, sealer=pii)


@router.get("/talents", response_model=TalentPage, summary="人才画像列表")
async def list_talents(
    session: SessionDep,
    pii: PersonalDataDep,
    principal: CurrentPrincipal,
    talent_class: str | None = None,
    employer_uscc: str | None = None,
    is_expert: bool | None = None,
    field: Annotated[str | None, Query(description="专业领域")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> TalentPage:
    if not can_read_registry(principal):
        raise TalentForbidden("无权查看人才列表")
    stmt = select(Talent).order_by(Talent.id).limit(limit + 1)
    after = decode_cursor(cursor, 1)
    if after:
        try:
            last = uuid.UUID(str(after[0]))
        except ValueError:
            raise InvalidCursor("分页游标无效", field="query.cursor") from None
        stmt = stmt.where(Talent.id > last)
    if talent_class:
        stmt = stmt.where(Talent.talent_class == talent_class)
    if is_expert is not None:
        stmt = stmt.where(Talent.is_expert.is_(is_expert))
    if field:
        stmt = stmt.where(Talent.fields.contains([field]))
    if employer_uscc:
        stmt = stmt.join(Enterprise, Enterprise.id == Talent.employer_id).where(
            Enterprise.uscc == employer_uscc
        )
    rows = list((await session.scalars(stmt)).all())
    page, more = rows[:limit], len(rows) > limit
    employer_ids = {t.employer_id for t in page if t.employer_id}
    employers = (
        {
            e.id: e
            for e in (await session.scalars(select(Enterprise).where(Enterprise.id.in_(employer_ids)))).all()
        }
        if employer_ids
        else {}
    )
    return TalentPage(
        items=[to_read(t, employers.get(t.employer_id) if t.employer_id else None, pii) for t in page],
        next_cursor=encode_cursor(str(page[-1].id)) if more else None,
    )


@router.get(
    "/talents/lookup", response_model=TalentRead, summary="按身份证号查找人才（盲索引，仅限工作人员）"
)
async def lookup_talent(
    id_number: str,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: TalentLookupStaff,
) -> TalentRead:
    talent = await service.find_by_id_number(session, pii, id_number)
    # An audit trail of who looked whom up — by pseudonymous id; the ID number itself never reaches the log.
    logger.info(
        "talent lookup by id number",
        extra={"actor": actor_of(principal), "talent_id": str(talent.id) if talent else None},
    )
    if talent is None:
        raise TalentNotFound("没有该身份证号的人才档案")
    return await read_one(session, talent, pii, with_birth_date=True)


@router.get("/talents/{talent_id}", response_model=TalentRead, summary="人才画像")
async def get_talent(
    talent_id: uuid.UUID, session: SessionDep, pii: PersonalDataDep, principal: CurrentPrincipal
) -> TalentRead:
    ensure_can_read_talent(principal, talent_id)
    talent = await service.get(session, talent_id)
    return await read_one(session, talent, pii, with_birth_date=talent_self_id(principal) == talent_id)


@router.patch("/talents/{talent_id}", response_model=TalentRead, summary="更新人才画像（记入变更历史）")
async def patch_talent(
    talent_id: uuid.UUID,
    body: TalentUpdate,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: WritePartnerOrOfficer,
) -> TalentRead:
    talent = await service.get(session, talent_id, for_update=True)
    talent, _ = await service.update(session, pii, talent, body, actor_of(principal))
    return await read_one(session, talent, pii)


@router.get("/talents/{talent_id}/history", response_model=list[HistoryEntry], summary="人才档案变更历史")
async def talent_history(
    talent_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[HistoryEntry]:
    ensure_can_read_talent(principal, talent_id)
    await service.get(session, talent_id)
    return [
        HistoryEntry(actor=h.actor, action=h.action, at=h.at, changes=h.changes)
        for h in await service.history(session, talent_id)
    ]
