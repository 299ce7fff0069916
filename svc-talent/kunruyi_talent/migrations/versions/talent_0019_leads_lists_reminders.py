"""Activity leads (线索) and their conversion, the day-before reminder of a registration, the read models of the
three lists (technology demands from svc-matching, policies matched by svc-policy), and campaign goals for on-time
reply and satisfaction.

Revision ID: talent_0019
Revises: talent_0015
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "talent_0019"
down_revision: str | None = "talent_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "activity_registrations", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("campaigns", sa.Column("goal_on_time_rate", sa.Float(), nullable=True))
    op.add_column("campaigns", sa.Column("goal_satisfaction", sa.Float(), nullable=True))
    op.create_table(
        "activity_leads",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "activity_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("activities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("enterprise_uscc", sa.String(18), nullable=True),
        sa.Column("talent_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("party", sa.String(120), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), server_default="open", nullable=False),
        sa.Column("converted_to", sa.String(12), nullable=True),
        sa.Column("ticket_number", sa.String(24), nullable=True),
        sa.Column("demand_id", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('need', 'cooperation', 'negotiation')", name="activity_lead_kind"),
    )
    op.create_index("ix_activity_leads_activity_id", "activity_leads", ["activity_id"])
    op.create_table(
        "need_demands",
        sa.Column("demand_id", sa.String(64), primary_key=True),
        sa.Column("enterprise_uscc", sa.String(18), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("industry_chain", sa.String(40), nullable=False),
        sa.Column("technical_field", sa.String(40), nullable=False),
        sa.Column("demand_type", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lead_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_need_demands_enterprise_uscc", "need_demands", ["enterprise_uscc"])
    op.create_table(
        "policy_matches",
        sa.Column("entity_type", sa.String(12), primary_key=True),
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("policy_code", sa.String(60), primary_key=True),
        sa.Column("policy_title", sa.String(200), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_matches")
    op.drop_index("ix_need_demands_enterprise_uscc", table_name="need_demands")
    op.drop_table("need_demands")
    op.drop_index("ix_activity_leads_activity_id", table_name="activity_leads")
    op.drop_table("activity_leads")
    op.drop_column("campaigns", "goal_satisfaction")
    op.drop_column("campaigns", "goal_on_time_rate")
    op.drop_column("activity_registrations", "reminded_at")
