"""Joint handling (一个窗口接单，后台共同处理): a ticket's co-handling departments, each with its part and answer.

Transfers need no table: a transfer changes the ticket's department, officer and (by the deadline rule) deadline,
and is recorded in the ticket's history.

Revision ID: talent_0006
Revises: talent_0005
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "talent_0006"
down_revision: str | None = "talent_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_parts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", UUID(as_uuid=True), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("officer", sa.String(60), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("task_encrypted", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_encrypted", sa.Text(), nullable=True),
        sa.Column("invited_by", sa.String(120), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(120), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_parts_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_parts")),
        sa.UniqueConstraint("ticket_id", "department", name=op.f("uq_ticket_parts_ticket_id_department")),
    )
    op.create_index(op.f("ix_ticket_parts_department"), "ticket_parts", ["department"])


def downgrade() -> None:
    op.drop_table("ticket_parts")
