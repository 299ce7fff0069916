"""partner rate windows: per-key request counters shared by every gateway replica

Revision ID: gateway_0003
Revises: gateway_0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0003"
down_revision: str | None = "gateway_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_rate_windows",
        sa.Column("bucket", sa.String(160), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_partner_rate_windows")),
    )
    op.create_index("ix_partner_rate_windows_expires_at", "partner_rate_windows", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_partner_rate_windows_expires_at", table_name="partner_rate_windows")
    op.drop_table("partner_rate_windows")
