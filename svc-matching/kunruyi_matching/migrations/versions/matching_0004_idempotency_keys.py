"""idempotency_keys (the shared kit's table, keyed per caller) replaces demands.idempotency_key / request_digest

The demand's own column made a key global: a second caller sending the same Idempotency-Key received the first
caller's demand. Keys now live in the kit's table under (caller, key). Existing keys move there under the caller who
sent them (``demands.submitted_by`` is ``kind:subject``, the kit's caller): a retry by that caller with the same body
replays the demand (status 201, as the first answer; the demand as it stands at this migration), with another body it
is 409 ``idempotency_key_conflict``. Where the original body cannot be rebuilt exactly from the row (the digest does
not match), the key is kept with a hash no request has: every retry is a 409, never a second demand.

Revision ID: matching_0004
Revises: matching_0003
Create Date: 2026-12-04
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0004"
down_revision: str | None = "matching_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of kunruyi_common.idempotency (its DDL and request hash) as of this revision: a migration must not
# change when the shared kit does.
DDL = """
CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    key text NOT NULL,
    endpoint text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
)
"""
ENDPOINT = "demands"
# DemandCreate's fields in declaration order (the old digest was sha256 of its model_dump_json()).
BODY_FIELDS = (
    "enterprise_uscc",
    "title",
    "description",
    "industry_chain",
    "technical_field",
    "demand_type",
    "budget_min_fen",
    "budget_max_fen",
    "deadline",
    "visibility",
    "channel",
    "region",
)
# DemandOut's fields: the answer a replay returns.
ANSWER_FIELDS = (
    "id",
    *BODY_FIELDS,
    "status",
    "stage",
    "submitted_by",
    "reviewed_by",
    "approved_at",
    "broker_id",
    "assigned_at",
    "assignment_mode",
    "matched_supply_id",
    "contract_number",
    "contract_amount_fen",
    "broker_reward_fen",
    "closed_at",
    "created_at",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _kit_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{ENDPOINT}\n{canonical}".encode()).hexdigest()


def request_hash_for(row: Any) -> str:
    """The kit's hash of the body this row was filed with, or an unmatchable one when it cannot be rebuilt."""
    body = {name: _json_value(getattr(row, name)) for name in BODY_FIELDS}
    legacy = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if row.request_digest and hashlib.sha256(legacy.encode()).hexdigest() == row.request_digest:
        return _kit_hash(body)
    return f"legacy:{row.request_digest or ''}"


def upgrade() -> None:
    op.execute(DDL)
    bind = op.get_bind()
    columns = ", ".join(sorted({*ANSWER_FIELDS, "idempotency_key", "request_digest"}))
    rows = bind.execute(
        sa.text(f"SELECT {columns} FROM demands WHERE idempotency_key IS NOT NULL ORDER BY created_at")
    ).all()
    insert = sa.text(
        "INSERT INTO idempotency_keys (principal, key, endpoint, request_hash, status_code, response, created_at) "
        "VALUES (:p, :k, :e, :h, 201, CAST(:r AS jsonb), :c)"
    )
    for row in rows:
        answer = {name: _json_value(getattr(row, name)) for name in ANSWER_FIELDS}
        bind.execute(
            insert,
            {
                "p": row.submitted_by,
                "k": row.idempotency_key,
                "e": ENDPOINT,
                "h": request_hash_for(row),
                "r": json.dumps(answer, ensure_ascii=False),
                "c": row.created_at,
            },
        )
    op.drop_constraint("uq_demands_idempotency_key", "demands", type_="unique")
    op.drop_column("demands", "idempotency_key")
    op.drop_column("demands", "request_digest")


def downgrade() -> None:
    op.add_column("demands", sa.Column("idempotency_key", sa.String(length=120), nullable=True))
    op.add_column("demands", sa.Column("request_digest", sa.String(length=64), nullable=True))
    # A key goes back to its demand when it fits the old global column (one demand per key; the first one wins);
    # without the old digest, the old code answers every retry with a 409 rather than a second demand.
    op.execute(
        """
        UPDATE demands d SET idempotency_key = k.key
        FROM (
            SELECT DISTINCT ON (key) key, (response->>'id')::uuid AS demand_id
            FROM idempotency_keys
            WHERE endpoint = 'demands' AND length(key) <= 120 AND response ? 'id'
            ORDER BY key, created_at
        ) k
        WHERE d.id = k.demand_id
        """
    )
    op.create_unique_constraint("uq_demands_idempotency_key", "demands", ["idempotency_key"])
    op.execute("DROP TABLE idempotency_keys")
