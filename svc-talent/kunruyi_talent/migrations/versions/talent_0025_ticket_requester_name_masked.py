"""A ticket's requester name is free text like its title: a resident ID, phone or bank card number typed into it was
stored and shown in clear (staff lists and views). New tickets keep it masked only; this masks the names already
stored the same way. Needs no key, keeps no original (nobody needs the numbers in a name back) and only ever hides
more, so it can run again.

Revision ID: talent_0025
Revises: talent_0024
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

from alembic import op
from kunruyi_common.pii_text import mask_pii
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision: str = "talent_0025"
down_revision: str | None = "talent_0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    mask_requester_names(op.get_bind())


def mask_requester_names(bind: Connection) -> int:
    rows = bind.execute(
        text("SELECT id, requester_name FROM tickets WHERE requester_name ~ '[0-9０-９]'")
    ).all()
    changed = 0
    for row_id, name in rows:
        masked = mask_pii(name)
        if masked != name:
            bind.execute(
                text("UPDATE tickets SET requester_name = :name WHERE id = :id"),
                {"name": masked, "id": row_id},
            )
            changed += 1
    return changed


def downgrade() -> None:
    # The clear numbers are not kept anywhere; nothing is put back.
    pass
