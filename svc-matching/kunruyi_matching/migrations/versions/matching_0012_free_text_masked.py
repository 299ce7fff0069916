"""Personal numbers out of the rest of svc-matching's free text, and who filed each 揭榜 application.

The services now mask resident IDs, phones and card numbers (``kunruyi_common.pii_text.mask_pii``) in engagement
stage notes, every challenge text, a demand's region and supply's free text before storing them. This step masks
what is already stored the same way (in place: nothing there needs the number back — a filer's contact stays
encrypted with the demand), re-segments a supplier whose text changed (its ``search_tokens`` held the number;
the version bump makes every index replace it), and masks the same text in the stored copies of the events that
carried it (``outbox_events``). ``challenge_applications.applied_by`` records who filed an application, so that
caller alone among the applicants reads it back; older applications have none (the challenge's staff and
publisher still read them).

Revision ID: matching_0012
Revises: matching_0011
Create Date: 2026-12-07 10:00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from kunruyi_common.pii_text import mask_pii

revision: str = "matching_0012"
down_revision: str | None = "matching_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shape every personal number has (kunruyi_common.pii_text's hint: 11 digits, a separator allowed between),
# so only rows that may hold one are read.
_HINT = "[0-9\uff10-\uff19]([ \u3000\uff0d\u00a0-]?[0-9\uff10-\uff19]){10}"

TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "engagement_stage_records": ("note",),
    "challenges": ("title", "goal", "requirements"),
    "challenge_applications": ("team_name", "leader", "organization", "proposal"),
    "challenge_scores": ("comment",),
    "challenge_milestones": ("title", "note"),
    "demands": ("region",),
}
# The event fields that copied those texts.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "kunruyi.matching.engagement.stage_changed": ("note",),
    "kunruyi.matching.challenge.published": ("title",),
    "kunruyi.matching.challenge.applied": ("title", "team_name"),
    "kunruyi.matching.challenge.scored": ("title",),
    "kunruyi.matching.challenge.awarded": ("title", "team_name"),
    "kunruyi.matching.challenge.milestone_recorded": ("title", "milestone"),
    "kunruyi.matching.challenge.accepted": ("title",),
}


def _masked_json(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [_masked_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked_json(v) for k, v in value.items()}
    return value


def _mask_columns(bind: sa.Connection, table: str, columns: tuple[str, ...]) -> None:
    where = " OR ".join(f"{c} ~ :hint" for c in columns)
    rows = bind.execute(
        sa.text(f"SELECT id, {', '.join(columns)} FROM {table} WHERE {where}"), {"hint": _HINT}
    ).mappings()
    for row in list(rows):
        values = {c: mask_pii(row[c]) for c in columns if row[c] is not None and mask_pii(row[c]) != row[c]}
        if values:
            sets = ", ".join(f"{c} = :{c}" for c in values)
            bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :_id"), {**values, "_id": row["id"]})


def _mask_supply(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT id, kind, natural_key, name, summary, organization, region, technical_field, attributes "
            "FROM supply_entities WHERE name ~ :hint OR summary ~ :hint OR organization ~ :hint "
            "OR region ~ :hint OR attributes::text ~ :hint"
        ),
        {"hint": _HINT},
    ).mappings()
    for row in list(rows):
        original = {
            "name": row["name"],
            "summary": row["summary"],
            "organization": row["organization"],
            "region": row["region"],
            "attributes": row["attributes"] or {},
        }
        masked = {k: _masked_json(v) for k, v in original.items()}
        if masked == original:
            continue
        # The segmenter (jieba and the vocabularies) only when a row needs it.
        from kunruyi_matching.supply.schemas import SupplyIn
        from kunruyi_matching.supply.service import searchable_text
        from kunruyi_matching.text.segmenter import index_tokens

        record = SupplyIn.model_construct(
            kind=row["kind"], natural_key=row["natural_key"], technical_field=row["technical_field"], **masked
        )
        bind.execute(
            sa.text(
                "UPDATE supply_entities SET name = :name, summary = :summary, organization = :organization, "
                "region = :region, attributes = CAST(:attributes AS jsonb), search_tokens = :tokens, "
                "version = version + 1, updated_at = now() WHERE id = :id"
            ),
            {
                **masked,
                "attributes": json.dumps(masked["attributes"], ensure_ascii=False),
                "tokens": " ".join(index_tokens(searchable_text(record))),
                "id": row["id"],
            },
        )


def _mask_events(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT seq, type, envelope FROM outbox_events WHERE type = ANY(:types) AND envelope::text ~ :hint"
        ),
        {"types": list(EVENT_FIELDS), "hint": _HINT},
    ).mappings()
    for row in list(rows):
        envelope = dict(row["envelope"])
        data = dict(envelope.get("data") or {})
        for name in EVENT_FIELDS[row["type"]]:
            if isinstance(data.get(name), str):
                data[name] = mask_pii(data[name])
        if data != envelope.get("data"):
            envelope["data"] = data
            bind.execute(
                sa.text("UPDATE outbox_events SET envelope = CAST(:e AS jsonb) WHERE seq = :s"),
                {"e": json.dumps(envelope, ensure_ascii=False), "s": row["seq"]},
            )


def upgrade() -> None:
    op.add_column("challenge_applications", sa.Column("applied_by", sa.String(160), nullable=True))
    bind = op.get_bind()
    for table, columns in TEXT_COLUMNS.items():
        _mask_columns(bind, table, columns)
    _mask_supply(bind)
    _mask_events(bind)


def downgrade() -> None:
    # The masked numbers are not kept anywhere: a downgrade keeps the masked text.
    op.drop_column("challenge_applications", "applied_by")
