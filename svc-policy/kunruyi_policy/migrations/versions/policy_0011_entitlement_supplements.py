"""entitlement_supplements: 补充认定 — a period's entitlement may be followed by supplements (``sequence`` ≥ 1,
``supplement_of`` the original) covering loans that closed after it was determined; ``loan_keys`` names the loans
(``<institution>|<loan number>``) an entitlement of a financing item covers, so no loan is subsidised twice

Revision ID: policy_0011
Revises: policy_0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "policy_0011"
down_revision: str | None = "policy_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("entitlements", sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    op.add_column("entitlements", sa.Column("supplement_of", UUID(as_uuid=True), nullable=True))
    op.add_column("entitlements", sa.Column("loan_keys", ARRAY(sa.Text()), nullable=True))
    op.drop_constraint("uq_entitlements_policy_code", "entitlements", type_="unique")
    op.create_unique_constraint(
        "uq_entitlements_policy_code",
        "entitlements",
        ["policy_code", "entity_type", "entity_id", "period", "sequence"],
    )


def downgrade() -> None:
    op.execute("DELETE FROM entitlements WHERE sequence > 0")
    op.drop_constraint("uq_entitlements_policy_code", "entitlements", type_="unique")
    op.create_unique_constraint(
        "uq_entitlements_policy_code", "entitlements", ["policy_code", "entity_type", "entity_id", "period"]
    )
    op.drop_column("entitlements", "loan_keys")
    op.drop_column("entitlements", "supplement_of")
    op.drop_column("entitlements", "sequence")
