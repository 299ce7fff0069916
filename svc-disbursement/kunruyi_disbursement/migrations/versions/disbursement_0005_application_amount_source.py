"""applications: where the amount came from (requested by the applicant, or computed by svc-policy's calculator)

Revision ID: disbursement_0005
Revises: disbursement_0004
Create Date: 2026-11-29

An application sent without an amount takes the amount svc-policy's calculator computes for that policy and that
applicant. The row keeps which it was, the rule version and the calculator's status (``needs_confirmation`` tells
reviewers which criteria they confirm by hand), and the calculator's criteria, so an auditor can see why that
amount was applied for. Existing rows were all requested.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0005"
down_revision: str | None = "disbursement_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE applications
            ADD COLUMN amount_source text NOT NULL DEFAULT 'requested'
                CONSTRAINT ck_applications_amount_source CHECK (amount_source IN ('requested', 'computed')),
            ADD COLUMN amount_policy_version integer,
            ADD COLUMN amount_calculator_status text
                CONSTRAINT ck_applications_amount_calculator_status
                CHECK (amount_calculator_status IN ('eligible', 'needs_confirmation')),
            ADD COLUMN amount_calculation jsonb,
            ADD CONSTRAINT ck_applications_computed_amount_provenance CHECK (
                (amount_source = 'requested' AND amount_policy_version IS NULL
                    AND amount_calculator_status IS NULL AND amount_calculation IS NULL)
                OR (amount_source = 'computed' AND amount_policy_version IS NOT NULL
                    AND amount_calculator_status IS NOT NULL AND amount_calculation IS NOT NULL)
            )
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE applications
            DROP CONSTRAINT ck_applications_computed_amount_provenance,
            DROP COLUMN amount_calculation,
            DROP COLUMN amount_calculator_status,
            DROP COLUMN amount_policy_version,
            DROP COLUMN amount_source
        """
    )
