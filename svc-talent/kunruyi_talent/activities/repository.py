"""Reads and row locks for activities; the counts are made by PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.activities.schemas import LeadCounts
from kunruyi_talent.models import Activity, ActivityLead, ActivityRegistration, Enterprise, Talent


async def get(session: AsyncSession, activity_id: uuid.UUID, *, lock: bool = False) -> Activity | None:
    stmt = select(Activity).where(Activity.id == activity_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def recent(session: AsyncSession, kind: str | None, limit: int) -> Sequence[Activity]:
    stmt = select(Activity).order_by(Activity.starts_at.desc(), Activity.id).limit(limit)
    if kind is not None:
        stmt = stmt.where(Activity.kind == kind)
    return (await session.scalars(stmt)).all()


async def counts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """activity id → (registered, checked in)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(
            ActivityRegistration.activity_id,
            func.count(),
            func.count(ActivityRegistration.checked_in_at),
        )
        .where(ActivityRegistration.activity_id.in_(ids))
        .group_by(ActivityRegistration.activity_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def registration(
    session: AsyncSession, activity_id: uuid.UUID, registration_id: uuid.UUID
) -> ActivityRegistration | None:
    return (
        await session.scalars(
            select(ActivityRegistration)
            .where(
                ActivityRegistration.id == registration_id,
                ActivityRegistration.activity_id == activity_id,
            )
            .with_for_update()
        )
    ).one_or_none()


async def find_registration(
    session: AsyncSession, activity_id: uuid.UUID, attendee_type: str, attendee: str, name: str | None = None
) -> ActivityRegistration | None:
    """A company's or talent's registration; a person's (``name`` given) when both the phone and the name match."""
    stmt = select(ActivityRegistration).where(
        ActivityRegistration.activity_id == activity_id,
        ActivityRegistration.attendee_type == attendee_type,
        ActivityRegistration.attendee == attendee,
    )
    if name is not None:
        stmt = stmt.where(ActivityRegistration.attendee_name == name)
    return (await session.scalars(stmt)).one_or_none()


async def by_kind(session: AsyncSession) -> Sequence[Any]:
    """Per kind: activities, registered, checked in, 合作项目数, 商洽数."""
    regs = (
        select(
            ActivityRegistration.activity_id.label("aid"),
            func.count().label("registered"),
            func.count(ActivityRegistration.checked_in_at).label("checked_in"),
        )
        .group_by(ActivityRegistration.activity_id)
        .subquery()
    )
    stmt = (
        select(
            Activity.kind,
            func.count(Activity.id),
            func.coalesce(func.sum(regs.c.registered), 0),
            func.coalesce(func.sum(regs.c.checked_in), 0),
            func.coalesce(func.sum(Activity.cooperation_projects), 0),
            func.coalesce(func.sum(Activity.negotiations), 0),
        )
        .outerjoin(regs, regs.c.aid == Activity.id)
        .group_by(Activity.kind)
        .order_by(Activity.kind)
    )
    return (await session.execute(stmt)).all()


async def registrations(session: AsyncSession, activity_id: uuid.UUID) -> Sequence[ActivityRegistration]:
    return (
        await session.scalars(
            select(ActivityRegistration)
            .where(ActivityRegistration.activity_id == activity_id)
            .order_by(ActivityRegistration.registered_at, ActivityRegistration.id)
        )
    ).all()


async def enterprises(session: AsyncSession, usccs: Sequence[str]) -> Sequence[Enterprise]:
    return (await session.scalars(select(Enterprise).where(Enterprise.uscc.in_(usccs)))).all()


async def talents(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Talent]:
    return (await session.scalars(select(Talent).where(Talent.id.in_(ids)))).all()


async def lead_counts(
    session: AsyncSession, activity_ids: Sequence[uuid.UUID] | None = None
) -> dict[str, LeadCounts]:
    """Per activity id (or, with no ids, per activity kind): the leads and their conversions, counted in SQL."""
    key = ActivityLead.activity_id if activity_ids is not None else Activity.kind
    stmt = (
        select(
            key,
            func.count(),
            func.count().filter(ActivityLead.kind == "need"),
            func.count().filter(ActivityLead.status == "converted"),
            func.count().filter(ActivityLead.converted_to == "ticket"),
            func.count().filter(ActivityLead.converted_to == "demand"),
            func.count().filter(ActivityLead.kind == "cooperation"),
            func.count().filter(ActivityLead.kind == "negotiation"),
        )
        .join(Activity, Activity.id == ActivityLead.activity_id)
        .group_by(key)
    )
    if activity_ids is not None:
        stmt = stmt.where(ActivityLead.activity_id.in_(activity_ids))
    names = ("leads", "needs", "converted", "to_tickets", "to_demands", "cooperations", "negotiations")
    return {
        str(row[0]): LeadCounts(**dict(zip(names, map(int, row[1:]), strict=True)))
        for row in (await session.execute(stmt)).all()
    }
