"""揭榜挂帅 projects for the indicator system: each challenge svc-matching awarded (its ``challenge.awarded`` event),
kept so that 新增“揭榜挂帅”攻关项目 is computed from events rather than reported by hand.

Revision ID: talent_0020
Revises: talent_0019
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "talent_0020"
down_revision: str | None = "talent_0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_challenges",
        sa.Column("challenge_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("publisher_uscc", sa.String(18), nullable=True),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("challenge_id", name=op.f("pk_indicator_challenges")),
    )
    op.create_index("ix_indicator_challenges_awarded_on", "indicator_challenges", ["awarded_on"])


def downgrade() -> None:
    op.drop_index("ix_indicator_challenges_awarded_on", table_name="indicator_challenges")
    op.drop_table("indicator_challenges")
