"""disbursements.instruction_payee: the payee of the first bank instruction, resent unchanged

Revision ID: disbursement_0003
Revises: disbursement_0002
Create Date: 2026-11-29

A resend of an instruction must be byte-for-byte the same instruction (same reference, amount and payee), or the
bank refuses it as a conflicting reference while still holding — and paying — the first one. The payee is therefore
fixed when the disbursement is first claimed for the bank: ``{"mode": "registered_account"}`` or
``{"mode": "account", "payee_id", "account_number_encrypted", "account_name", "bank_name"}`` (the account number
stays encrypted, bound to the entity). A payee registered or changed afterwards applies to later disbursements only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0003"
down_revision: str | None = "disbursement_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE disbursements ADD COLUMN instruction_payee jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE disbursements DROP COLUMN instruction_payee")
