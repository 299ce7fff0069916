"""SQL for the talent programs (SQLAlchemy Core on ``programs/tables.py``). Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.programs.tables import (
    program_applications,
    program_calls,
    program_conflicts,
    program_panel_members,
    program_scores,
    programs,
)


async def insert_program(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new program, or None when its code is taken."""
    stmt = (
        pg_insert(programs)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(programs)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def list_programs(session: AsyncSession) -> Sequence[RowMapping]:
    return (await session.execute(select(programs).order_by(programs.c.code))).mappings().all()


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> RowMapping | None:
    return (await session.execute(select(programs).where(programs.c.id == program_id))).mappings().first()


async def insert_call(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new call, or None when the program already has one that year."""
    stmt = (
        pg_insert(program_calls)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_program_calls_program_year")
        .returning(program_calls)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def get_call(session: AsyncSession, call_id: uuid.UUID, *, lock: bool = False) -> RowMapping | None:
    """The call with its program's code, title, kind and department (``program_*``)."""
    stmt = (
        select(
            program_calls,
            programs.c.code.label("program_code"),
            programs.c.title.label("program_title"),
            programs.c.applicant_kind.label("program_applicant_kind"),
            programs.c.department.label("department"),
        )
        .join(programs, programs.c.id == program_calls.c.program_id)
        .where(program_calls.c.id == call_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=program_calls)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def update_call(session: AsyncSession, call_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(program_calls).where(program_calls.c.id == call_id).values(**values))


async def panel(session: AsyncSession, call_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        select(program_panel_members.c.expert)
        .where(program_panel_members.c.call_id == call_id)
        .order_by(program_panel_members.c.expert)
    )
    return list(rows.scalars())


async def add_panel_members(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(pg_insert(program_panel_members).values(rows).on_conflict_do_nothing())


async def insert_application(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new application, or None when this applicant already applied to the call."""
    stmt = (
        pg_insert(program_applications)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_program_applications_call_applicant")
        .returning(program_applications)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def application_by_applicant(
    session: AsyncSession, call_id: uuid.UUID, applicant_id: str
) -> RowMapping | None:
    stmt = select(program_applications.c.id).where(
        program_applications.c.call_id == call_id, program_applications.c.applicant_id == applicant_id
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> RowMapping | None:
    stmt = select(program_applications).where(program_applications.c.id == application_id)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def applications_of(session: AsyncSession, call_id: uuid.UUID) -> Sequence[RowMapping]:
    stmt = (
        select(program_applications)
        .where(program_applications.c.call_id == call_id)
        .order_by(program_applications.c.created_at, program_applications.c.id)
    )
    return (await session.execute(stmt)).mappings().all()


async def set_outcome(
    session: AsyncSession,
    application_id: uuid.UUID,
    *,
    status: str,
    rank: int | None,
    normalised: float | None,
) -> None:
    await session.execute(
        update(program_applications)
        .where(program_applications.c.id == application_id)
        .values(status=status, rank=rank, normalised_score=None if normalised is None else repr(normalised))
    )


async def conflicts_of(session: AsyncSession, call_id: uuid.UUID) -> set[tuple[str, str]]:
    """(expert, party) pairs declared for the call."""
    rows = await session.execute(
        select(program_conflicts.c.expert, program_conflicts.c.party).where(
            program_conflicts.c.call_id == call_id
        )
    )
    return {(r.expert, r.party) for r in rows}


async def declare_conflict(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    """The declaration (the first one stands when the same party is declared again)."""
    stmt = pg_insert(program_conflicts).values(**values).on_conflict_do_nothing().returning(program_conflicts)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    if row is not None:
        return row
    existing = select(program_conflicts).where(
        program_conflicts.c.call_id == values["call_id"],
        program_conflicts.c.expert == values["expert"],
        program_conflicts.c.party == values["party"],
    )
    found: RowMapping = (await session.execute(existing)).mappings().one()
    return found


async def has_scored_party(session: AsyncSession, call_id: uuid.UUID, expert: str, party: str) -> bool:
    stmt = (
        select(func.count())
        .select_from(program_scores.join(program_applications))
        .where(
            program_applications.c.call_id == call_id,
            program_scores.c.expert == expert,
            (program_applications.c.company_uscc == party) | (program_applications.c.applicant_id == party),
        )
    )
    return bool((await session.execute(stmt)).scalar_one())


async def insert_score(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The new score, or None when this expert already scored this application."""
    stmt = (
        pg_insert(program_scores)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_program_scores_application_expert")
        .returning(program_scores)
    )
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


async def scores_of(session: AsyncSession, call_id: uuid.UUID) -> Sequence[RowMapping]:
    """Every score of the call's applications: application_id, expert, score."""
    stmt = (
        select(program_scores.c.application_id, program_scores.c.expert, program_scores.c.score)
        .join(program_applications, program_applications.c.id == program_scores.c.application_id)
        .where(program_applications.c.call_id == call_id)
    )
    return (await session.execute(stmt)).mappings().all()
