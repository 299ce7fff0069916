"""background_jobs.input and .result: a job's input handed over by its request (a catalog sheet's rows) and what
it produced (an import's report), for catalog imports as background jobs.

Revision ID: policy_0012
Revises: policy_0011
Create Date: 2026-12-06 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "policy_0012"
down_revision: str | None = "policy_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("background_jobs", sa.Column("input", postgresql.JSONB(), nullable=True))
    op.add_column("background_jobs", sa.Column("result", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("background_jobs", "result")
    op.drop_column("background_jobs", "input")
