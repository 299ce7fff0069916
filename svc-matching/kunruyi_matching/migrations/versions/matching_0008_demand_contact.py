"""A filed demand's follow-up: a number and query code like a ticket's (the code stored as its SHA-256), the
filer's contact name and phone (the phone encrypted, bound to the demand, with its mask beside it), and whether
the company was verified when it was filed (a 苏商通 sign-in, a partner or staff; a 昆e服 visitor is not).

Revision ID: matching_0008
Revises: matching_0006
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0008"
down_revision: str | None = "matching_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE demand_number_seq")
    op.add_column("demands", sa.Column("demand_number", sa.String(24), nullable=True))
    op.add_column("demands", sa.Column("access_secret_hash", sa.String(64), nullable=True))
    op.add_column("demands", sa.Column("contact_name", sa.String(60), nullable=True))
    op.add_column("demands", sa.Column("contact_phone_encrypted", sa.Text(), nullable=True))
    op.add_column("demands", sa.Column("contact_phone_masked", sa.String(20), nullable=True))
    # Demands filed before were filed by partners, staff or the code's own company page.
    op.add_column(
        "demands",
        sa.Column("submitter_verified", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.create_unique_constraint(op.f("uq_demands_demand_number"), "demands", ["demand_number"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_demands_demand_number"), "demands", type_="unique")
    for name in (
        "submitter_verified",
        "contact_phone_masked",
        "contact_phone_encrypted",
        "contact_name",
        "access_secret_hash",
        "demand_number",
    ):
        op.drop_column("demands", name)
    op.execute("DROP SEQUENCE demand_number_seq")
