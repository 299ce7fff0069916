"""Talent profiles: the free text typed about a person (expertise, school, title, skill level, tags, fields, program
names) is stored masked from now on (``talent.service.masked_text``); the rows and the history written before are
masked here in place. Masking needs no key, and the originals are not kept (as for lead content at capture).

Revision ID: talent_0023
Revises: talent_0022
Create Date: 2026-12-06 10:10:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from kunruyi_common.pii_text import mask_pii

revision: str = "talent_0023"
down_revision: str | None = "talent_0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = ("school", "title", "skill_level", "expertise")
LIST_COLUMNS = ("tags", "fields")
HISTORY_KEYS = (*TEXT_COLUMNS, *LIST_COLUMNS, "programs")
# Only rows with a digit (ASCII or full-width) can hold a number worth masking.
DIGIT = "[0-9\uff10-\uff19]"


def _mask(value: Any) -> Any:
    """Every string inside ``value`` masked (a program's dict, a tag list, a history entry's from/to)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    return value


def _mask_programs(programs: list[Any]) -> list[Any]:
    return [
        {**p, "name": mask_pii(p["name"])} if isinstance(p, dict) and isinstance(p.get("name"), str) else p
        for p in programs
    ]


def _mask_entry(key: str, entry: Any) -> Any:
    """A history entry ``{"from": …, "to": …}`` of a free-text field, masked (a program's name only)."""
    if not isinstance(entry, dict):
        return entry
    if key == "programs":
        return {k: _mask_programs(v) if isinstance(v, list) else v for k, v in entry.items()}
    return {k: _mask(v) for k, v in entry.items()}


def upgrade() -> None:
    bind = op.get_bind()
    digits = " OR ".join(
        [
            *(f"{c} ~ :digit" for c in TEXT_COLUMNS),
            *(f"array_to_string({c}, ' ') ~ :digit" for c in LIST_COLUMNS),
            "programs::text ~ :digit",
        ]
    )
    rows = bind.execute(
        sa.text(
            f"SELECT id, {', '.join(TEXT_COLUMNS)}, {', '.join(LIST_COLUMNS)}, programs FROM talents WHERE {digits}"
        ),
        {"digit": DIGIT},
    ).mappings()
    for row in rows.fetchall():
        new: dict[str, Any] = {c: mask_pii(row[c]) if row[c] is not None else None for c in TEXT_COLUMNS}
        new["tags"] = sorted({mask_pii(t) for t in row["tags"] or []})
        new["fields"] = list(dict.fromkeys(mask_pii(f) for f in row["fields"] or []))
        new["programs"] = _mask_programs(list(row["programs"] or []))
        if (
            all(new[c] == row[c] for c in (*TEXT_COLUMNS, *LIST_COLUMNS))
            and new["programs"] == row["programs"]
        ):
            continue
        bind.execute(
            sa.text(
                "UPDATE talents SET school = :school, title = :title, skill_level = :skill_level, "
                "expertise = :expertise, tags = :tags, fields = :fields, programs = CAST(:programs AS jsonb) "
                "WHERE id = :id"
            ),
            {**new, "programs": json.dumps(new["programs"], ensure_ascii=False), "id": row["id"]},
        )
    history = bind.execute(
        sa.text("SELECT id, changes FROM talent_history WHERE changes::text ~ :digit"), {"digit": DIGIT}
    ).fetchall()
    for entry_id, changes in history:
        masked = {k: _mask_entry(k, v) if k in HISTORY_KEYS else v for k, v in changes.items()}
        if masked != changes:
            bind.execute(
                sa.text("UPDATE talent_history SET changes = CAST(:c AS jsonb) WHERE id = :id"),
                {"c": json.dumps(masked, ensure_ascii=False), "id": entry_id},
            )


def downgrade() -> None:
    # The originals are not kept: nothing to restore.
    pass
