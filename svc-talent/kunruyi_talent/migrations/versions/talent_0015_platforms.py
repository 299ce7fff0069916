"""platforms: 科创平台 records (kind, level, host enterprise, recognition and expiry, issuing body, certificate) and
their yearly reviews

Revision ID: talent_0015
Revises: talent_0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "talent_0015"
down_revision: str | None = "talent_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("enterprise_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("recognized_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date()),
        sa.Column("issuing_body", sa.String(80), nullable=False),
        sa.Column("certificate_number", sa.String(80), nullable=False),
        sa.Column("revoked_on", sa.Date()),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platforms")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_platforms_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("certificate_number", name=op.f("uq_platforms_certificate_number")),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= recognized_on", name=op.f("ck_platforms_dates_in_order")
        ),
    )
    op.create_index("ix_platforms_enterprise_id", "platforms", ["enterprise_id"])
    op.create_index("ix_platforms_recognized_on", "platforms", ["recognized_on"])
    op.create_table(
        "platform_reviews",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("platform_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_reviews")),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_platform_reviews_platform_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("platform_id", "year", name=op.f("uq_platform_reviews_platform_id_year")),
    )


def downgrade() -> None:
    op.drop_table("platform_reviews")
    op.drop_index("ix_platforms_recognized_on", table_name="platforms")
    op.drop_index("ix_platforms_enterprise_id", table_name="platforms")
    op.drop_table("platforms")
