"""policies: four eyes on application review (初审 ≠ 复审 ≠ 审定), on unless a policy turns it off

Revision ID: disbursement_0006
Revises: disbursement_0005
Create Date: 2026-12-04

A per-policy setting kept with the policy's review stages: when on (the default, also for every existing policy),
初审 and 复审 must be taken by two different people and 审定 by an approver who took neither (409 ``same_person``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0006"
down_revision: str | None = "disbursement_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE policies ADD COLUMN four_eyes boolean NOT NULL DEFAULT true")


def downgrade() -> None:
    op.execute("ALTER TABLE policies DROP COLUMN four_eyes")
