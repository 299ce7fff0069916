"""Free text without personal data in clear: tickets' title, description and reply and the transitions' comments
keep the masked text, the original encrypted beside it; ticket_reveals audits who revealed what.

Existing rows are protected here (masked in place, original encrypted with the app's PII key).

Revision ID: talent_0005
Revises: talent_0004
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import protect_existing_rows
from sqlalchemy.dialects.postgresql import UUID

revision: str = "talent_0005"
down_revision: str | None = "talent_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKET_FIELDS = ("title", "description", "reply")


def upgrade() -> None:
    for name in TICKET_FIELDS:
        op.add_column("tickets", sa.Column(f"{name}_encrypted", sa.Text(), nullable=True))
    op.add_column("ticket_transitions", sa.Column("comment_encrypted", sa.Text(), nullable=True))
    op.create_table(
        "ticket_reveals",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ticket_number", sa.String(24), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_name", sa.String(60), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_reveals_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_reveals")),
    )
    op.create_index(op.f("ix_ticket_reveals_ticket_id"), "ticket_reveals", ["ticket_id"])
    op.create_index(op.f("ix_ticket_reveals_department"), "ticket_reveals", ["department"])
    _protect_existing_rows()


def _protect_existing_rows() -> None:
    from kunruyi_talent.settings import Settings

    cipher = FieldCipher.from_b64(Settings().pii_key)
    bind = op.get_bind()
    protect_existing_rows(bind, cipher, "tickets", TICKET_FIELDS)
    # A transition's comment is bound to its ticket, as the service binds new ones.
    protect_existing_rows(bind, cipher, "ticket_transitions", ("comment",), row_key="ticket_id")


def downgrade() -> None:
    # The clear text cannot be restored without the key; a downgrade keeps the masked text.
    op.drop_table("ticket_reveals")
    op.drop_column("ticket_transitions", "comment_encrypted")
    for name in TICKET_FIELDS:
        op.drop_column("tickets", f"{name}_encrypted")
