"""Demands' free text without personal data in clear: title, description and review note keep the masked text,
the original encrypted beside it (kunruyi_common.pii_text). Existing rows are protected here with the app's PII key.

Revision ID: matching_0004
Revises: matching_0003
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import protect_existing_rows

revision: str = "matching_0004"
down_revision: str | None = "matching_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("title", "description", "review_note")


def upgrade() -> None:
    for name in FIELDS:
        op.add_column("demands", sa.Column(f"{name}_encrypted", sa.Text(), nullable=True))
    from kunruyi_matching.settings import Settings

    protect_existing_rows(op.get_bind(), FieldCipher.from_b64(Settings().pii_key), "demands", FIELDS)


def downgrade() -> None:
    # The clear text cannot be restored without the key; a downgrade keeps the masked text.
    for name in FIELDS:
        op.drop_column("demands", f"{name}_encrypted")
