"""SQL for 公示 objections (SQLAlchemy Core on ``programs/tables.py``). Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.programs.tables import program_applications, program_objections

o = program_objections.c


def _with_applicant() -> Any:
    return select(program_objections, program_applications.c.applicant_name).join(
        program_applications, program_applications.c.id == o.application_id
    )


async def insert_objection(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    row: RowMapping = (
        (await session.execute(pg_insert(program_objections).values(**values).returning(program_objections)))
        .mappings()
        .one()
    )
    return row


async def get_objection(
    session: AsyncSession, objection_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    stmt = _with_applicant().where(o.id == objection_id)
    if lock:
        stmt = stmt.with_for_update(of=program_objections)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def objections_of_call(session: AsyncSession, call_id: uuid.UUID) -> Sequence[RowMapping]:
    stmt = _with_applicant().where(o.call_id == call_id).order_by(o.created_at, o.id)
    return (await session.execute(stmt)).mappings().all()


async def open_objections(session: AsyncSession, application_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(o.application_id == application_id, o.status == "open")
    return int((await session.execute(stmt)).scalar_one())


async def resolve(session: AsyncSession, objection_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(program_objections).where(o.id == objection_id).values(**values))


async def set_status(session: AsyncSession, application_id: uuid.UUID, status: str) -> None:
    await session.execute(
        update(program_applications).where(program_applications.c.id == application_id).values(status=status)
    )
