"""Activities: a person who registers with name and phone is the name and the phone together (as self check-in
identifies them) — one registration per company, talent, or name and phone; a sign-up with a registered phone under
another name is no longer refused as "already registered" (that answer told anyone the phone was registered).

Revision ID: talent_0022
Revises: talent_0021
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "talent_0022"
down_revision: str | None = "talent_0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(
        "uq_activity_registrations_activity_id_attendee_type_attendee",
        "activity_registrations",
        type_="unique",
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_activity_registrations_attendee ON activity_registrations "
        "(activity_id, attendee_type, attendee, coalesce(attendee_name, ''))"
    )


def downgrade() -> None:
    # Refused (unique violation) while two people with one phone are registered for the same activity: nothing
    # is deleted to make room.
    op.drop_index("uq_activity_registrations_attendee", table_name="activity_registrations")
    op.create_unique_constraint(
        "uq_activity_registrations_activity_id_attendee_type_attendee",
        "activity_registrations",
        ["activity_id", "attendee_type", "attendee"],
    )
