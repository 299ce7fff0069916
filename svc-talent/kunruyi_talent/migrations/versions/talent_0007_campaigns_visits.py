"""Service campaigns (专项服务月) and visits (走访): a campaign's period, districts, goals, service teams with their
members and leader, target companies and talents; visit records; a problem raised on a visit becomes a ticket
(channel ``visit``) carrying the campaign and the visit. Countermeasures (对策清单) answering gathered needs: a theme,
an owner department, a due date, a status, the tickets they answer and the policy version that fixed them.

Revision ID: talent_0007
Revises: talent_0006
Create Date: 2026-12-05 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "talent_0007"
down_revision: str | None = "talent_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("districts", ARRAY(sa.String(40)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("goal_visits", sa.Integer(), nullable=True),
        sa.Column("goal_problems", sa.Integer(), nullable=True),
        sa.Column("goal_reply_rate", sa.Float(), nullable=True),
        sa.Column("goal_solve_rate", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_campaigns_period_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_campaigns_code")),
    )
    op.create_table(
        "campaign_teams",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("leader", sa.String(60), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_teams_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_teams")),
        sa.UniqueConstraint("campaign_id", "name", name=op.f("uq_campaign_teams_campaign_id_name")),
    )
    op.create_table(
        "campaign_team_members",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("team_id", UUID(as_uuid=True), nullable=False),
        sa.Column("member", sa.String(60), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_team_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["campaign_teams.id"],
            name=op.f("fk_campaign_team_members_team_id_campaign_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_team_members")),
        # One member, one team per campaign.
        sa.UniqueConstraint(
            "campaign_id", "member", name=op.f("uq_campaign_team_members_campaign_id_member")
        ),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_targets_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_targets")),
        sa.UniqueConstraint(
            "campaign_id", "kind", "target", name=op.f("uq_campaign_targets_campaign_id_kind_target")
        ),
    )
    op.create_table(
        "visits",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("team_id", UUID(as_uuid=True), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("target_kind", sa.String(12), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("activities", ARRAY(sa.String(20)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("policies_delivered", ARRAY(sa.String(64)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_visits_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["campaign_teams.id"], name=op.f("fk_visits_team_id_campaign_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_campaign_id"), "visits", ["campaign_id"])
    op.add_column("tickets", sa.Column("campaign_id", UUID(as_uuid=True), nullable=True))
    op.add_column("tickets", sa.Column("visit_id", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_tickets_campaign_id_campaigns"), "tickets", "campaigns", ["campaign_id"], ["id"]
    )
    op.create_foreign_key(op.f("fk_tickets_visit_id_visits"), "tickets", "visits", ["visit_id"], ["id"])
    op.create_index(op.f("ix_tickets_campaign_id"), "tickets", ["campaign_id"])
    op.create_table(
        "countermeasures",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("theme", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner_department", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("policy_ref", sa.String(80), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_countermeasures")),
    )
    op.create_table(
        "countermeasure_tickets",
        sa.Column("countermeasure_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ticket_id", UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["countermeasure_id"],
            ["countermeasures.id"],
            name=op.f("fk_countermeasure_tickets_countermeasure_id_countermeasures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_countermeasure_tickets_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("countermeasure_id", "ticket_id", name=op.f("pk_countermeasure_tickets")),
    )


def downgrade() -> None:
    op.drop_table("countermeasure_tickets")
    op.drop_table("countermeasures")
    op.drop_index(op.f("ix_tickets_campaign_id"), table_name="tickets")
    op.drop_constraint(op.f("fk_tickets_visit_id_visits"), "tickets", type_="foreignkey")
    op.drop_constraint(op.f("fk_tickets_campaign_id_campaigns"), "tickets", type_="foreignkey")
    op.drop_column("tickets", "visit_id")
    op.drop_column("tickets", "campaign_id")
    op.drop_table("visits")
    op.drop_table("campaign_targets")
    op.drop_table("campaign_team_members")
    op.drop_table("campaign_teams")
    op.drop_table("campaigns")
