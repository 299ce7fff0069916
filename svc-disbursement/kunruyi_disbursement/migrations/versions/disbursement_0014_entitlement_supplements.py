"""Supplements (补充认定): svc-policy may determine, after a period's entitlement, supplements for loans that closed
since (``sequence`` ≥ 1, their own entitlement id); each is its own disbursement, once. The one-per-(policy,
entity, period) guard becomes one per (policy, entity, period, sequence); ``supplement_of`` names the original
entitlement.

Revision ID: disbursement_0014
Revises: disbursement_0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0014"
down_revision: str | None = "disbursement_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE disbursements ADD COLUMN sequence integer NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE disbursements ADD COLUMN supplement_of text")
    op.execute("ALTER TABLE disbursements DROP CONSTRAINT uq_disbursements_policy_entity_period")
    op.execute(
        "ALTER TABLE disbursements ADD CONSTRAINT uq_disbursements_policy_entity_period "
        "UNIQUE (policy_code, entity_type, entity_id, period, sequence)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE disbursements DROP CONSTRAINT uq_disbursements_policy_entity_period")
    op.execute(
        "ALTER TABLE disbursements ADD CONSTRAINT uq_disbursements_policy_entity_period "
        "UNIQUE (policy_code, entity_type, entity_id, period)"
    )
    op.execute("ALTER TABLE disbursements DROP COLUMN supplement_of")
    op.execute("ALTER TABLE disbursements DROP COLUMN sequence")
