"""demands.released_by: brokers who held and released a demand are not given it again automatically

Revision ID: matching_0003
Revises: matching_0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "matching_0003"
down_revision: str | None = "matching_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "demands",
        sa.Column(
            "released_by",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("demands", "released_by")
