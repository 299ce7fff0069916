"""Names beside codes: one query for the names and one for the titles of a whole page of rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.directory import repository


def masked_person_name(name: str) -> str:
    """A talent's name as callers other than staff see it: the family name only (as on the 公示 list)."""
    return f"{name[:1]}{'*' * max(len(name) - 1, 1)}" if name else name


async def label(
    session: AsyncSession,
    items: list[dict[str, Any]],
    *,
    type_key: str,
    id_key: str,
    name_key: str,
    full_person_names: bool,
) -> list[dict[str, Any]]:
    """Each item with ``policy_title`` and the entity's name under ``name_key`` (None when not known yet)."""
    names = await repository.names_of(session, {(i[type_key], i[id_key]) for i in items})
    titles = await repository.titles_of(session, {i["policy_code"] for i in items})
    for item in items:
        name = names.get((item[type_key], item[id_key]))
        if name is not None and item[type_key] == "talent" and not full_person_names:
            name = masked_person_name(name)
        item[name_key] = name
        item["policy_title"] = titles.get(item["policy_code"])
    return items
