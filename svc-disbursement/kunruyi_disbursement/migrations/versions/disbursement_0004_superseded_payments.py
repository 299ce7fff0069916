"""superseded_payments: bank references of failed or returned payments that were issued again

Revision ID: disbursement_0004
Revises: disbursement_0003
Create Date: 2026-11-29

A failed or returned payment is still owed. Reissuing it gives the disbursement a new reservation (a new pending
transfer, whose id is the new bank reference); the old reference is kept here so that a late callback for it is
recognised (and changes nothing), reconciliation still knows it, and an auditor can follow every attempt.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0004"
down_revision: str | None = "disbursement_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE superseded_payments (
            reference uuid PRIMARY KEY,
            disbursement_id uuid NOT NULL REFERENCES disbursements (id),
            status text NOT NULL CHECK (status IN ('failed', 'returned')),
            failure_reason text,
            bank_sequence integer NOT NULL,
            superseded_by uuid NOT NULL,
            actor text,
            comment text,
            superseded_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_superseded_payments_disbursement ON superseded_payments (disbursement_id)")


def downgrade() -> None:
    op.execute("DROP TABLE superseded_payments")
