"""Queries of the local policy read model, over the Core tables of ``kunruyi_disbursement.tables``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, null, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import policies

p = policies.c


async def upsert(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    district: str | None,
    review_stages: list[str] | None,
    notice_days: int | None,
    four_eyes: bool | None,
) -> None:
    """Register the policy or update it — never with an older version. District, review stages, notice days and
    four eyes not given keep what the policy has (a new policy: none, none, 5 days, four eyes)."""
    new = insert(policies).values(
        **values,
        district=district,
        # SQL NULL when not given: a Python None would be stored as the JSON null.
        review_stages=review_stages if review_stages else null(),
        notice_days=5 if notice_days is None else notice_days,
        four_eyes=True if four_eyes is None else four_eyes,
        updated_at=func.now(),
    )
    excluded = new.excluded
    statement = new.on_conflict_do_update(
        index_elements=["code"],
        set_={
            "title": excluded.title,
            "department": excluded.department,
            "mode": excluded.mode,
            "beneficiary": excluded.beneficiary,
            "version": excluded.version,
            "annual_budget_fen": excluded.annual_budget_fen,
            "max_amount_fen": excluded.max_amount_fen,
            "valid_from": excluded.valid_from,
            "valid_to": excluded.valid_to,
            "status": excluded.status,
            "district": func.coalesce(excluded.district, p.district),
            "review_stages": func.coalesce(excluded.review_stages, p.review_stages),
            "notice_days": p.notice_days if notice_days is None else notice_days,
            "four_eyes": p.four_eyes if four_eyes is None else four_eyes,
            "updated_at": func.now(),
        },
        where=p.version <= excluded.version,
    )
    await session.execute(statement)


async def get(session: AsyncSession, code: str) -> Any | None:
    return (await session.execute(select(policies).where(p.code == code))).first()
