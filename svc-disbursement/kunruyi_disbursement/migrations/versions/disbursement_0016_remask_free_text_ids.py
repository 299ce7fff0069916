"""Free text stored masked before the kit's free-text ID mask became the registry's: an ID number typed into a
comment, an objection or a plan was kept as ``3205**********1827`` (city and last four), which a known age or birth
date narrows to a few dozen numbers. Such masks at rest are masked again the way every ID is shown now
(``3****************7``). Needs no key (the encrypted originals beside them stay as they are) and only ever hides
more. The audit log is left as it is: it is append-only and hash-chained, and its entries age out with it.

Revision ID: disbursement_0016
Revises: disbursement_0015
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from kunruyi_common.pii_text import remask_existing_rows, remask_legacy_ids
from sqlalchemy.engine import Connection

revision: str = "disbursement_0016"
down_revision: str | None = "disbursement_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column svc-disbursement stored free text in, masked, with the table's one-column key.
MASKED_TEXT: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("applications", ("reject_reason",), "id"),
    ("application_steps", ("comment",), "id"),
    ("application_objections", ("content",), "id"),
    ("program_applications", ("plan",), "id"),
    ("program_scores", ("comment",), "id"),
    ("program_objections", ("objector", "reason", "resolution"), "id"),
    ("funding_tranches", ("evidence",), "id"),
    ("funding_assessments", ("reason",), "id"),
    ("funding_acceptances", ("note",), "agreement_id"),
)


def upgrade() -> None:
    remask(op.get_bind())


def remask(bind: Connection) -> None:
    for table, columns, row_key in MASKED_TEXT:
        remask_existing_rows(bind, table, columns, row_key=row_key)
    # A conflict of interest is keyed by (call, expert, party).
    conflicts = bind.execute(
        sa.text("SELECT call_id, expert, party, reason FROM program_conflicts WHERE reason LIKE '%********%'")
    ).all()
    for call_id, expert, party, reason in conflicts:
        remasked = remask_legacy_ids(reason)
        if remasked != reason:
            bind.execute(
                sa.text(
                    "UPDATE program_conflicts SET reason = :reason "
                    "WHERE call_id = :call_id AND expert = :expert AND party = :party"
                ),
                {"reason": remasked, "call_id": call_id, "expert": expert, "party": party},
            )


def downgrade() -> None:
    # The old masks showed more than these; nothing is put back.
    pass
