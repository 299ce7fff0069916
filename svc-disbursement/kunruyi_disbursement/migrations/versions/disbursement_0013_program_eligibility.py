"""Program eligibility from svc-policy's rules: a call may name the policy whose rules say who may apply
(``program_calls.eligibility_policy``, e.g. 双创人才项目资助); each application keeps the calculator's answer it was
admitted on (``program_applications.eligibility``: status, version, criteria), for the reviewers.

Revision ID: disbursement_0013
Revises: disbursement_0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0013"
down_revision: str | None = "disbursement_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE program_calls ADD COLUMN eligibility_policy text")
    op.execute("ALTER TABLE program_applications ADD COLUMN eligibility jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE program_applications DROP COLUMN eligibility")
    op.execute("ALTER TABLE program_calls DROP COLUMN eligibility_policy")
