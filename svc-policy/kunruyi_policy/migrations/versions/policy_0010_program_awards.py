"""program_awards: past talent-program awards (svc-disbursement's ``program.selected``), read into the talent
profile as rule variables (``program_award_codes``, ``years_since_program_award``) so 二次资助 and 不重复享受 are
decidable

Revision ID: policy_0010
Revises: policy_0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policy_0010"
down_revision: str | None = "policy_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "program_awards",
        sa.Column("application_id", sa.String(64), primary_key=True),
        sa.Column("talent_id", sa.String(64), nullable=False),
        sa.Column("program_code", sa.String(64), nullable=False),
        sa.Column("funding_level", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_program_awards_talent_id", "program_awards", ["talent_id"])


def downgrade() -> None:
    op.drop_index("ix_program_awards_talent_id", table_name="program_awards")
    op.drop_table("program_awards")
