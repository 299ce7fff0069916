"""Activities on 昆e服: a person registers with name and phone (encrypted, masked, indexed for duplicates), and
attendees check themselves in; how each registration and check-in came is recorded.

Revision ID: talent_0014
Revises: talent_0012
Create Date: 2026-12-05 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "talent_0014"
down_revision: str | None = "talent_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activity_registrations", sa.Column("attendee_name", sa.String(60), nullable=True))
    op.add_column("activity_registrations", sa.Column("attendee_phone_encrypted", sa.Text(), nullable=True))
    op.add_column("activity_registrations", sa.Column("attendee_phone_masked", sa.String(20), nullable=True))
    op.add_column(
        "activity_registrations",
        sa.Column("registered_via", sa.String(12), server_default="officer", nullable=False),
    )
    op.add_column("activity_registrations", sa.Column("checked_in_via", sa.String(12), nullable=True))
    op.execute("UPDATE activity_registrations SET checked_in_via = 'officer' WHERE checked_in_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("activity_registrations", "checked_in_via")
    op.drop_column("activity_registrations", "registered_via")
    op.drop_column("activity_registrations", "attendee_phone_masked")
    op.drop_column("activity_registrations", "attendee_phone_encrypted")
    op.drop_column("activity_registrations", "attendee_name")
