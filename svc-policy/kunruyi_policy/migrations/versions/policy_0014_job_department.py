"""background_jobs.department: the department a job belongs to, so that a job started for one department is read
and cancelled by that department's staff (and admins) only (jobs/access.py).

Jobs already stored get theirs where it is known: a catalog import the department of the officer who queued it (its
input keeps the principal), a publication's re-evaluation the department of the policy. A 免申即享 run recorded only
who started it: its department stays empty (every department still reads its progress; admins cancel it).

Revision ID: policy_0014
Revises: policy_0013
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policy_0014"
down_revision: str | None = "policy_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("background_jobs", sa.Column("department", sa.String(80), nullable=True))
    op.execute(
        "UPDATE background_jobs SET department = left(input->'principal'->>'department', 80) "
        "WHERE kind = 'catalog_import' AND input->'principal'->>'department' IS NOT NULL"
    )
    op.execute(
        "UPDATE background_jobs AS j SET department = d.name FROM policies AS p JOIN departments AS d "
        "ON d.code = p.department_code WHERE j.kind = 'policy_evaluation' AND p.code = j.params->>'policy_code'"
    )


def downgrade() -> None:
    op.drop_column("background_jobs", "department")
