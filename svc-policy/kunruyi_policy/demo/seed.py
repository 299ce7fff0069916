"""``python -m kunruyi_policy seed``: reference data and the demo catalog, idempotently."""

from __future__ import annotations

from datetime import date
from typing import Any

from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.settings import ServiceSettings
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.taxonomy import CATEGORIES, DEPARTMENTS
from kunruyi_policy.demo.catalog import DEMO_GROUPS, demo_catalog
from kunruyi_policy.demo.documents import document_rows
from kunruyi_policy.demo.guides import with_guide
from kunruyi_policy.management import service
from kunruyi_policy.management.schemas import PolicyCreate, RulesIn
from kunruyi_policy.models import Department, PolicyCategory, PolicyDocument, PolicyGroup, PolicyTheme

DEMO_VALID_FROM = date(2022, 1, 1)


async def seed_taxonomy(session: AsyncSession) -> None:
    for i, (code, name) in enumerate(DEPARTMENTS):
        await session.execute(
            insert(Department).values(code=code, name=name, sort_order=i).on_conflict_do_nothing()
        )
    order = 0
    for i, (code, name, themes) in enumerate(CATEGORIES):
        await session.execute(
            insert(PolicyCategory).values(code=code, name=name, sort_order=i).on_conflict_do_nothing()
        )
        for theme_code, theme_name in themes:
            await session.execute(
                insert(PolicyTheme)
                .values(code=theme_code, name=theme_name, category_code=code, sort_order=order)
                .on_conflict_do_nothing()
            )
            order += 1
    await session.flush()
    await seed_groups(session)


async def seed_groups(session: AsyncSession) -> None:
    """Stacking groups and the 1+N+X policy documents (parents first) the demo items cite."""
    for row in document_rows():
        await session.execute(insert(PolicyDocument).values(**row).on_conflict_do_nothing())
    for code, name, cap in DEMO_GROUPS:
        await session.execute(
            insert(PolicyGroup).values(code=code, name=name, annual_cap_fen=cap).on_conflict_do_nothing()
        )
    await session.flush()


async def seed_policies(session: AsyncSession, items: list[dict[str, Any]], *, is_demo: bool = True) -> int:
    """Create and publish each item whose code is not there yet; returns how many were added."""
    added = 0
    for raw in items:
        if await repository.get_policy(session, raw["code"]) is not None:
            continue
        if is_demo:
            raw = with_guide(raw)
        fields = {k: raw[k] for k in PolicyCreate.model_fields if k in raw}
        fields.setdefault("valid_from", DEMO_VALID_FROM)
        policy = await service.create_policy(session, PolicyCreate(**fields), None, is_demo=is_demo)
        rules = RulesIn(
            criteria=raw["criteria"],
            amount=raw["amount"],
            amount_cap_fen=raw.get("amount_cap_fen"),
            parameters=raw.get("parameters") or {},
            note="演示数据初始版本" if is_demo else "",
        )
        await service.save_draft(session, policy, rules, "seed")
        await service.publish(session, policy, raw.get("effective_from") or policy.valid_from)
        added += 1
    return added


async def seed(settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed_taxonomy(session)
            added = await seed_policies(session, demo_catalog())
            await session.commit()
        print(f"kunruyi_policy: {added} demo policies added")
    finally:
        await engine.dispose()
