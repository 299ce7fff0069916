"""Free text stored masked before the kit's free-text ID mask became the registry's: an ID number typed into a
demand, a financing request or a reveal's reason was kept as ``3205**********1827`` (city and last four), which a
known age or birth date narrows to a few dozen numbers. Such masks at rest are masked again the way every ID is
shown now (``3****************7``). Needs no key (the encrypted originals beside them stay as they are) and only
ever hides more.

Revision ID: matching_0013
Revises: matching_0012
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

from alembic import op
from kunruyi_common.pii_text import remask_existing_rows
from sqlalchemy.engine import Connection

revision: str = "matching_0013"
down_revision: str | None = "matching_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column svc-matching stored free text in, masked, before matching_0012 (which masks what it newly covers).
MASKED_TEXT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("demands", ("title", "description", "review_note")),
    ("financing_demands", ("purpose",)),
    ("financing_stage_records", ("note",)),
    ("demand_reveals", ("reason",)),
)


def upgrade() -> None:
    remask(op.get_bind())


def remask(bind: Connection) -> None:
    for table, columns in MASKED_TEXT:
        remask_existing_rows(bind, table, columns)


def downgrade() -> None:
    # The old masks showed more than these; nothing is put back.
    pass
