"""Activities (活动: 路演, 沙龙, 宣讲 …), their registrations and check-ins.

Revision ID: talent_0009
Revises: talent_0008
Create Date: 2026-12-05 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "talent_0009"
down_revision: str | None = "talent_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("venue", sa.String(120), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("industry_chain", sa.String(40), nullable=True),
        sa.Column("cooperation_projects", sa.Integer(), nullable=True),
        sa.Column("negotiations", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_activities_activity_time_order")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_activities_activity_capacity_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index("ix_activities_kind_starts", "activities", ["kind", "starts_at"])
    op.create_table(
        "activity_registrations",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", UUID(as_uuid=True), nullable=False),
        sa.Column("attendee_type", sa.String(12), nullable=False),
        sa.Column("attendee", sa.String(64), nullable=False),
        sa.Column(
            "registered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_registrations_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_registrations")),
        sa.UniqueConstraint(
            "activity_id",
            "attendee_type",
            "attendee",
            name=op.f("uq_activity_registrations_activity_id_attendee_type_attendee"),
        ),
    )


def downgrade() -> None:
    op.drop_table("activity_registrations")
    op.drop_index("ix_activities_kind_starts", table_name="activities")
    op.drop_table("activities")
