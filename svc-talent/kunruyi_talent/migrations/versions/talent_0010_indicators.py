"""indicators: reported indicator values with their revisions and approvals (指标报送), and the settled payments
consumed from svc-disbursement's events for the payouts indicator

Revision ID: talent_0010
Revises: talent_0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "talent_0010"
down_revision: str | None = "talent_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_reports",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        sa.Column("revision", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        sa.Column("submitted_name", sa.String(60)),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("approved_by", sa.String(120)),
        sa.Column("approved_name", sa.String(60)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_reports")),
        sa.UniqueConstraint(
            "code",
            "year",
            "quarter",
            "revision",
            name=op.f("uq_indicator_reports_code_year_quarter_revision"),
        ),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name=op.f("ck_indicator_reports_quarter_range")),
    )
    op.create_table(
        "indicator_payments",
        sa.Column("disbursement_id", sa.String(64), nullable=False),
        sa.Column("policy_code", sa.String(40), nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("disbursement_id", name=op.f("pk_indicator_payments")),
    )
    op.create_index("ix_indicator_payments_entity_id", "indicator_payments", ["entity_id"])
    op.create_index("ix_indicator_payments_settled_on", "indicator_payments", ["settled_on"])


def downgrade() -> None:
    op.drop_table("indicator_payments")
    op.drop_table("indicator_reports")
