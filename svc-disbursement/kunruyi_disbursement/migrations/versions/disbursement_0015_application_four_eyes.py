"""applications: four eyes frozen when the application is submitted, like its workflow and 公示 days

Revision ID: disbursement_0015
Revises: disbursement_0014
Create Date: 2026-12-07

An application keeps the four-eyes rule its policy had when it was submitted (``applications.four_eyes``), so a later
change of the policy cannot take the second person away from a review under way; the review applies four eyes when
either the application or its policy today asks for it. Existing applications take their policy's setting (on for
an application whose policy is unknown).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0015"
down_revision: str | None = "disbursement_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE applications ADD COLUMN four_eyes boolean NOT NULL DEFAULT true")
    op.execute(
        "UPDATE applications a SET four_eyes = p.four_eyes FROM policies p "
        "WHERE p.code = a.policy_code AND NOT p.four_eyes"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP COLUMN four_eyes")
