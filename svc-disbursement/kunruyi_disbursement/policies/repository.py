"""Queries of the local policy read model, over the Core tables of ``kunruyi_disbursement.tables``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, null, select, true
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
    """svc-policy's catalog registers the policy or updates it — never with an older version, except over a local
    placeholder (``source`` local, registered with a budget before the catalog knew the policy): the catalog's rules
    replace it whatever its version. District, review stages, notice days and four eyes not given keep what the
    policy has (a new policy, or a placeholder taken over: none, the default stages, 5 days, four eyes)."""
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
    # The catalog taking over a placeholder: nothing of the placeholder's rules survives.
    takeover = (p.source == "local") & (excluded.source != "local")
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
            "source": excluded.source,
            "district": func.coalesce(excluded.district, p.district),
            "review_stages": case(
                (takeover, excluded.review_stages),
                else_=func.coalesce(excluded.review_stages, p.review_stages),
            ),
            "notice_days": case((takeover, excluded.notice_days), else_=p.notice_days)
            if notice_days is None
            else notice_days,
            "four_eyes": case((takeover, true()), else_=p.four_eyes) if four_eyes is None else four_eyes,
            "updated_at": func.now(),
        },
        where=(p.version <= excluded.version) | takeover,
    )
    await session.execute(statement)


async def insert_if_absent(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    review_stages: list[str] | None,
    four_eyes: bool,
    notice_days: int,
) -> bool:
    """Register a policy nobody knows yet; a known policy is left exactly as it is. True when this registered it."""
    statement = (
        insert(policies)
        .values(
            **values,
            review_stages=review_stages if review_stages else null(),
            notice_days=notice_days,
            four_eyes=four_eyes,
            updated_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(p.code)
    )
    return (await session.execute(statement)).first() is not None


async def get(session: AsyncSession, code: str) -> Any | None:
    return (await session.execute(select(policies).where(p.code == code))).first()
