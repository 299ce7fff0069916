"""background_jobs (the kit's job rows) for bulk 昆e服 code batches, and the batch that issued each code.

Revision ID: gateway_0007
Revises: gateway_0006
Create Date: 2026-12-06 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_0007"
down_revision: str | None = "gateway_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "background_jobs",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("cursor", postgresql.JSONB(), nullable=True),
        sa.Column("counts", postgresql.JSONB(), nullable=False),
        sa.Column("input", postgresql.JSONB(), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_background_jobs"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="ck_background_jobs_status",
        ),
    )
    op.create_index("ix_background_jobs_status_created", "background_jobs", ["status", "created_at"])
    op.create_index("ix_background_jobs_subject", "background_jobs", ["subject"])
    op.add_column("service_codes", sa.Column("batch_job_id", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_index("ix_service_codes_batch_job_id", "service_codes", ["batch_job_id"])


def downgrade() -> None:
    op.drop_index("ix_service_codes_batch_job_id", table_name="service_codes")
    op.drop_column("service_codes", "batch_job_id")
    op.drop_index("ix_background_jobs_subject", table_name="background_jobs")
    op.drop_index("ix_background_jobs_status_created", table_name="background_jobs")
    op.drop_table("background_jobs")
