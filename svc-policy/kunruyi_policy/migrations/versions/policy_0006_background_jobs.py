"""background_jobs: 免申即享 runs and publication re-evaluations as resumable background jobs (jobs/), and the
job of each entitlement run; entitlements indexed by entity.

Revision ID: policy_0006
Revises: policy_0005
Create Date: 2026-12-05 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "policy_0006"
down_revision: str | None = "policy_0005"
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
    op.add_column("entitlement_runs", sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=True))
    # an entity's entitlements so far, read for every chunk of a run (the unique key leads with the policy)
    op.create_index("ix_entitlements_entity", "entitlements", ["entity_type", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_entitlements_entity", table_name="entitlements")
    op.drop_column("entitlement_runs", "job_id")
    op.drop_index("ix_background_jobs_subject", table_name="background_jobs")
    op.drop_index("ix_background_jobs_status_created", table_name="background_jobs")
    op.drop_table("background_jobs")
