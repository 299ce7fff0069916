"""Demands' free text without personal data in clear: title, description and review note keep the masked text,
the original encrypted beside it (kunruyi_common.pii_text); demand_reveals audits who revealed it. Existing rows are
protected here with the app's PII key.

Revision ID: matching_0005
Revises: matching_0004
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import protect_existing_rows
from sqlalchemy.dialects.postgresql import UUID

revision: str = "matching_0005"
down_revision: str | None = "matching_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("title", "description", "review_note")


def upgrade() -> None:
    for name in FIELDS:
        op.add_column("demands", sa.Column(f"{name}_encrypted", sa.Text(), nullable=True))
    op.create_table(
        "demand_reveals",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("demand_id", UUID(as_uuid=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_name", sa.String(60), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demands.id"],
            name=op.f("fk_demand_reveals_demand_id_demands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_reveals")),
    )
    op.create_index(op.f("ix_demand_reveals_demand_id"), "demand_reveals", ["demand_id"])
    from kunruyi_matching.settings import Settings

    protect_existing_rows(op.get_bind(), FieldCipher.from_b64(Settings().pii_key), "demands", FIELDS)


def downgrade() -> None:
    op.drop_table("demand_reveals")
    # The clear text cannot be restored without the key; a downgrade keeps the masked text.
    for name in FIELDS:
        op.drop_column("demands", f"{name}_encrypted")
