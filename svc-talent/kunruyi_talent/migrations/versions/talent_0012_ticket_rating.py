"""A requester's rating of a ticket's answer (满意 / 基本满意 / 不满意, once per answer) and the reopen that may
follow a 不满意 within 7 days of the reply: the rating, when it was given, the latest reply and the reopen.

Revision ID: talent_0012
Revises: talent_0011
Create Date: 2026-12-05 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "talent_0012"
down_revision: str | None = "talent_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("rating", sa.String(24), nullable=True))
    op.add_column("tickets", sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("last_replied_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_tickets_rating_known"),
        "tickets",
        "rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')",
    )
    # Tickets answered before: their one reply is their latest.
    op.execute("UPDATE tickets SET last_replied_at = replied_at WHERE replied_at IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_tickets_rating_known"), "tickets", type_="check")
    for name in ("reopened_at", "last_replied_at", "rated_at", "rating"):
        op.drop_column("tickets", name)
