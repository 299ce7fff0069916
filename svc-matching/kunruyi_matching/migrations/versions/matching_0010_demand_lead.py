"""Demands filed from svc-talent's activity leads (channel ``activity``): the lead's id, one demand per lead.

Revision ID: matching_0010
Revises: matching_0009
Create Date: 2026-12-05 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0010"
down_revision: str | None = "matching_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("demands", sa.Column("lead_id", sa.String(64), nullable=True))
    op.create_unique_constraint(op.f("uq_demands_lead_id"), "demands", ["lead_id"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_demands_lead_id"), "demands", type_="unique")
    op.drop_column("demands", "lead_id")
