"""A financing demand's wished term (期望期限, months): matched against a product's maximum term.

Revision ID: matching_0011
Revises: matching_0010
Create Date: 2026-12-06 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0011"
down_revision: str | None = "matching_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("financing_demands", sa.Column("term_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("financing_demands", "term_months")
