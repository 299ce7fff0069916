"""policy_guide: what a company or talent reads before applying — a plain-language summary (通俗解读), an FAQ, the
materials an application needs, the application window — and the review stages and 公示 days, which travel with
the publication events so svc-disbursement keeps no copy of its own.

Revision ID: policy_0008
Revises: policy_0006
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "policy_0008"
down_revision: str | None = "policy_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("policies", sa.Column("plain_summary", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "policies", sa.Column("faq", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False)
    )
    op.add_column(
        "policies", sa.Column("materials", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False)
    )
    op.add_column(
        "policies", sa.Column("application_window", sa.String(200), server_default="", nullable=False)
    )
    op.add_column("policies", sa.Column("review_stages", JSONB(), nullable=True))
    op.add_column("policies", sa.Column("notice_days", sa.Integer(), server_default="5", nullable=False))


def downgrade() -> None:
    for column in ("notice_days", "review_stages", "application_window", "materials", "faq", "plain_summary"):
        op.drop_column("policies", column)
