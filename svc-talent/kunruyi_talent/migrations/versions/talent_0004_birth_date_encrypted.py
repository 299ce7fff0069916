"""talents.birth_date leaves the clear: encrypted like the ID number, and the ID mask keeps one character each end

The birth date is eight of the eighteen characters of a resident ID number. Beside the old mask
(``320583********1827``: area + sequence + check character) a clear birth date completed the number, so a backup
of this table leaked every ID. The date is now AES-GCM ciphertext (associated data ``talents.birth_date``, the same
PII key as the ID number) and every stored mask becomes ``3****************7``.

Encrypting existing rows needs the PII key: it is read from the service settings (``KRY_TALENT_PII_KEY``) only when
the table has rows.

Revision ID: talent_0004
Revises: talent_0003
Create Date: 2026-12-04 16:30:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op
from kunruyi_common.crypto import FieldCipher

revision: str = "talent_0004"
down_revision: str | None = "talent_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN_AAD = b"talents.birth_date"


def _cipher() -> FieldCipher:
    from kunruyi_talent.settings import Settings

    return FieldCipher.from_b64(Settings().pii_key)


def upgrade() -> None:
    op.add_column("talents", sa.Column("birth_date_encrypted", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, birth_date FROM talents")).all()
    if rows:
        cipher = _cipher()
        for talent_id, born in rows:
            conn.execute(
                sa.text("UPDATE talents SET birth_date_encrypted = :enc WHERE id = :id"),
                {"enc": cipher.encrypt(born.isoformat(), associated_data=COLUMN_AAD), "id": talent_id},
            )
    op.alter_column("talents", "birth_date_encrypted", nullable=False)
    op.drop_column("talents", "birth_date")
    op.execute(
        "UPDATE talents SET id_number_masked = left(id_number_masked, 1) || repeat('*', 16) "
        "|| right(id_number_masked, 1) WHERE length(id_number_masked) = 18"
    )


def downgrade() -> None:
    # The old six-plus-four masks are not restored: they are what made the numbers rebuildable.
    op.add_column("talents", sa.Column("birth_date", sa.Date(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, birth_date_encrypted FROM talents")).all()
    if rows:
        cipher = _cipher()
        for talent_id, token in rows:
            conn.execute(
                sa.text("UPDATE talents SET birth_date = :born WHERE id = :id"),
                {
                    "born": date.fromisoformat(cipher.decrypt(token, associated_data=COLUMN_AAD)),
                    "id": talent_id,
                },
            )
    op.alter_column("talents", "birth_date", nullable=False)
    op.drop_column("talents", "birth_date_encrypted")
