"""Free text on applications without personal data in clear: step comments, reject reasons and objections keep the
masked text, the original encrypted beside it (kunruyi_common.pii_text). Existing rows are protected here with the
app's PII key.

Revision ID: disbursement_0007
Revises: disbursement_0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import protect_existing_rows

revision: str = "disbursement_0007"
down_revision: str | None = "disbursement_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE applications ADD COLUMN reject_reason_encrypted text")
    op.execute("ALTER TABLE application_steps ADD COLUMN comment_encrypted text")
    op.execute("ALTER TABLE application_objections ADD COLUMN content_encrypted text")
    from kunruyi_disbursement.settings import Settings

    cipher = FieldCipher.from_b64(Settings().pii_key)
    bind = op.get_bind()
    # Bound to the application, as the service binds new rows.
    protect_existing_rows(bind, cipher, "applications", ("reject_reason",))
    protect_existing_rows(bind, cipher, "application_steps", ("comment",), row_key="application_id")
    protect_existing_rows(bind, cipher, "application_objections", ("content",), row_key="application_id")


def downgrade() -> None:
    # The clear text cannot be restored without the key; a downgrade keeps the masked text.
    op.execute("ALTER TABLE application_objections DROP COLUMN content_encrypted")
    op.execute("ALTER TABLE application_steps DROP COLUMN comment_encrypted")
    op.execute("ALTER TABLE applications DROP COLUMN reject_reason_encrypted")
