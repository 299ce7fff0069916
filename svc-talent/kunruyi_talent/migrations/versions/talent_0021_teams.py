"""teams: 创新创业团队 (双创团队) — a company's team, its lead talent, members with their roles, program tags

Revision ID: talent_0021
Revises: talent_0020
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "talent_0021"
down_revision: str | None = "talent_0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("lead_talent_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "programs", postgresql.ARRAY(sa.String(60)), nullable=False, server_default=sa.text("'{}'")
        ),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.ForeignKeyConstraint(
            ["lead_talent_id"], ["talents.id"], name=op.f("fk_teams_lead_talent_id_talents")
        ),
    )
    op.create_index(op.f("ix_teams_uscc"), "teams", ["uscc"])
    op.create_table(
        "team_members",
        sa.Column("team_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("talent_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "talent_id", name=op.f("pk_team_members")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["talent_id"], ["talents.id"], name=op.f("fk_team_members_talent_id_talents")
        ),
        sa.CheckConstraint("role IN ('lead', 'core', 'member')", name=op.f("ck_team_members_role_known")),
    )
    op.create_index(op.f("ix_team_members_talent_id"), "team_members", ["talent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_team_members_talent_id"), table_name="team_members")
    op.drop_table("team_members")
    op.drop_index(op.f("ix_teams_uscc"), table_name="teams")
    op.drop_table("teams")
