"""Free text stored masked before the kit's free-text ID mask became the registry's: an ID number typed into a ticket,
a lead or a note was kept as ``3205**********1827`` (city and last four), which a known age or birth date narrows to
a few dozen numbers. Such masks at rest are masked again the way every ID is shown now (``3****************7``).
Needs no key (the encrypted originals beside them stay as they are) and only ever hides more.

Revision ID: talent_0024
Revises: talent_0023
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

from alembic import op
from kunruyi_common.pii_text import remask_existing_rows
from sqlalchemy.engine import Connection

revision: str = "talent_0024"
down_revision: str | None = "talent_0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column svc-talent stored free text in, masked, before talent_0023 (which masks the profile's own).
MASKED_TEXT: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("tickets", ("title", "description", "reply"), "id"),
    ("ticket_transitions", ("comment",), "id"),
    ("ticket_parts", ("task", "answer"), "id"),
    ("ticket_reveals", ("reason",), "id"),
    ("indicator_reports", ("note",), "id"),
    ("need_demands", ("title",), "demand_id"),
    ("platform_reviews", ("note",), "id"),
    ("activity_leads", ("party", "content"), "id"),
)


def upgrade() -> None:
    remask(op.get_bind())


def remask(bind: Connection) -> None:
    for table, columns, row_key in MASKED_TEXT:
        remask_existing_rows(bind, table, columns, row_key=row_key)


def downgrade() -> None:
    # The old masks showed more than these; nothing is put back.
    pass
