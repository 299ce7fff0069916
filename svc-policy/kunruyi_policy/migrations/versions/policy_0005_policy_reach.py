"""policy_reach: the application policies each entity is known to be in reach of (reach/), so that a policy
newly in reach is announced once.

Revision ID: policy_0005
Revises: policy_0004
Create Date: 2026-12-05 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policy_0005"
down_revision: str | None = "policy_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_reach",
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("policy_code", sa.String(60), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("gained_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", "policy_code"),
    )


def downgrade() -> None:
    op.drop_table("policy_reach")
