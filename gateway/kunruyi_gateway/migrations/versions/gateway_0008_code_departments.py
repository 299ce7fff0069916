"""The department a 昆e服 code and a bulk batch of them belong to (the issuing officer's): only its staff and admins
revoke the code or cancel the batch. Rows issued before are left without one (admins' alone).

Revision ID: gateway_0008
Revises: gateway_0007
Create Date: 2026-12-08 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0008"
down_revision: str | None = "gateway_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("service_codes", sa.Column("department", sa.String(80), nullable=True))
    op.add_column("background_jobs", sa.Column("department", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("background_jobs", "department")
    op.drop_column("service_codes", "department")
