"""periodic_runs: the kit's record of each exclusive periodic job's last run (SMS sender, overdue-ticket and
housing-offer scans), so that the job runs once per interval across replicas, and how many times it ran

Revision ID: talent_0011
Revises: talent_0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "talent_0011"
down_revision: str | None = "talent_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of kunruyi_common.periodic.PERIODIC_RUNS_DDL as of this revision: a migration must not change when
# the shared kit does.
DDL = """
CREATE TABLE periodic_runs (
    job text NOT NULL,
    last_run_at timestamptz NOT NULL,
    runs bigint NOT NULL DEFAULT 0,
    CONSTRAINT pk_periodic_runs PRIMARY KEY (job)
)
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE periodic_runs")
