"""Queries of applications, their steps, attachments and objections, over the Core tables of
``kunruyi_disbursement.tables``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import (
    application_attachments,
    application_number_seq,
    application_objections,
    application_steps,
    applications,
    audit_log,
    policies,
)

a = applications.c


async def next_number(session: AsyncSession) -> int:
    """The next value of ``application_number_seq``."""
    return int((await session.execute(select(application_number_seq.next_value()))).scalar_one())


async def insert_application(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    row: Row[Any] = (
        await session.execute(insert(applications).values(**values).returning(applications))
    ).one()
    return row


async def get(session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False) -> Row[Any] | None:
    statement = select(applications).where(a.id == application_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def set_status(
    session: AsyncSession, application_id: uuid.UUID, status: str, **values: Any
) -> Row[Any]:
    statement = (
        update(applications)
        .where(a.id == application_id)
        .values(status=status, updated_at=func.now(), **values)
        .returning(applications)
    )
    row: Row[Any] = (await session.execute(statement)).one()
    return row


async def insert_step(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(application_steps).values(**values))


async def round_actors(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Any]:
    """(to_status, actor) of the advances since the last (re)submission, in order."""
    s = application_steps.c
    last_submission = (
        select(func.coalesce(func.max(s.id), 0))
        .where(s.application_id == application_id, s.to_status == "submitted")
        .scalar_subquery()
    )
    statement = (
        select(s.to_status, s.actor)
        .where(s.application_id == application_id, s.action == "advance", s.id > last_submission)
        .order_by(s.id)
    )
    return (await session.execute(statement)).all()


async def insert_objection(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(application_objections).values(**values))


async def insert_attachment(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(application_attachments).values(**values))


async def steps(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Row[Any]]:
    s = application_steps.c
    statement = select(application_steps).where(s.application_id == application_id).order_by(s.id)
    return (await session.execute(statement)).all()


async def attachments(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Row[Any]]:
    t = application_attachments.c
    statement = (
        select(application_attachments).where(t.application_id == application_id).order_by(t.uploaded_at)
    )
    return (await session.execute(statement)).all()


async def objections(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Row[Any]]:
    o = application_objections.c
    statement = select(application_objections).where(o.application_id == application_id).order_by(o.at)
    return (await session.execute(statement)).all()


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    policy_code: str | None,
    applicant_id: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    departments: list[str] | None = None,
) -> Sequence[Row[Any]]:
    """Newest first, keyset-paginated after ``after`` (created_at, id); ``limit`` rows at most; with
    ``departments``, only applications to these departments' policies."""
    statement = select(applications)
    if departments is not None:
        statement = statement.where(
            a.policy_code.in_(select(policies.c.code).where(policies.c.department.in_(departments)))
        )
    if status is not None:
        statement = statement.where(a.status == status)
    if policy_code is not None:
        statement = statement.where(a.policy_code == policy_code)
    if applicant_id is not None:
        statement = statement.where(a.applicant_id == applicant_id)
    if after is not None:
        statement = statement.where(tuple_(a.created_at, a.id) < tuple_(*after))
    statement = statement.order_by(a.created_at.desc(), a.id.desc()).limit(limit)
    return (await session.execute(statement)).all()


async def with_department(session: AsyncSession, application_id: uuid.UUID) -> Any | None:
    """The application's id and reject reason (masked and encrypted) with its policy's department."""
    statement = (
        select(a.id, a.reject_reason, a.reject_reason_encrypted, policies.c.department)
        .select_from(applications.outerjoin(policies, policies.c.code == a.policy_code))
        .where(a.id == application_id)
    )
    return (await session.execute(statement)).one_or_none()


async def audit_entries(session: AsyncSession, *, action: str, application_id: uuid.UUID) -> Sequence[Any]:
    """The audit log's ``action`` entries about the application, newest first."""
    l = audit_log.c  # noqa: E741
    statement = (
        select(l.seq, l.occurred_at, l.actor, l.data)
        .where(l.action == action, l.entity_type == "application", l.entity_id == str(application_id))
        .order_by(l.seq.desc())
    )
    return (await session.execute(statement)).all()
