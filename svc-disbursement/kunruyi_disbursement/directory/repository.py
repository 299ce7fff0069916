from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.directory.tables import entity_names
from kunruyi_disbursement.tables import policies

n = entity_names.c


async def upsert_name(
    session: AsyncSession,
    entity_type: str,
    entity_id: str,
    name: str,
    at: datetime,
    *,
    qualification_dates: dict[str, Any] | None = None,
) -> None:
    statement = insert(entity_names).values(
        entity_type=entity_type,
        entity_id=entity_id,
        name=name,
        source_event_time=at,
        qualification_dates=qualification_dates,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[n.entity_type, n.entity_id],
            set_={
                "name": statement.excluded.name,
                "qualification_dates": statement.excluded.qualification_dates,
                "source_event_time": at,
                "updated_at": func.now(),
            },
            where=n.source_event_time <= statement.excluded.source_event_time,
        )
    )


async def names_of(session: AsyncSession, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The stored name of each (entity type, entity id) asked for; unknown ones are left out."""
    if not keys:
        return {}
    statement = select(n.entity_type, n.entity_id, n.name).where(tuple_(n.entity_type, n.entity_id).in_(keys))
    return {(t, i): name for t, i, name in (await session.execute(statement)).all()}


async def titles_of(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    """The title of each policy code in the local policy read model."""
    if not codes:
        return {}
    statement = select(policies.c.code, policies.c.title).where(policies.c.code.in_(codes))
    return {code: title for code, title in (await session.execute(statement)).all()}


async def qualification_dates(session: AsyncSession, uscc: str) -> dict[str, Any]:
    """A company's qualifications as its last registry event gave them: {kind: {"granted_on", "expires_on"}}."""
    statement = select(n.qualification_dates).where(n.entity_type == "enterprise", n.entity_id == uscc)
    found = (await session.execute(statement)).scalar_one_or_none()
    return dict(found or {})
