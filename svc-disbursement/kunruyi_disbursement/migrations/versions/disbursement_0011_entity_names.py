"""entity_names: the names of companies and talents from svc-talent's registry events (a read model), so the lists
staff read carry names beside codes

Revision ID: disbursement_0011
Revises: disbursement_0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "disbursement_0011"
down_revision: str | None = "disbursement_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_names",
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source_event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", name="entity_names_pkey"),
    )


def downgrade() -> None:
    op.drop_table("entity_names")
