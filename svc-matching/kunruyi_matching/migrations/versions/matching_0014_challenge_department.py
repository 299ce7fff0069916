"""A 揭榜挂帅 challenge belongs to its publisher's department: ``challenges.department`` (the publishing officer's
``department`` claim). Another department's staff are refused scoring, awarding, milestones and acceptance (403
``other_department``). Challenges published before have no department recorded: they stay with staff whose token
names none, and admins.

Revision ID: matching_0014
Revises: matching_0013
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0014"
down_revision: str | None = "matching_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("challenges", sa.Column("department", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("challenges", "department")
