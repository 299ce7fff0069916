"""Supply search pages newest first (GET /api/v1/supply): an index on (created_at, id) so a page is an index range,
not a sort of every supplier. Companies (kind ``company``, keyed by USCC) need no new column.

Revision ID: matching_0007
Revises: matching_0006
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "matching_0007"
down_revision: str | None = "matching_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_supply_entities_created_at_id", "supply_entities", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_supply_entities_created_at_id", table_name="supply_entities")
