"""idempotency_keys: the first answer to a POST sent with an Idempotency-Key (policy create, publish, suspend, runs)

Revision ID: policy_0003
Revises: policy_0002
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "policy_0003"
down_revision: str | None = "policy_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of kunruyi_common.idempotency.IDEMPOTENCY_KEYS_DDL as of this revision: a migration must not change
# when the shared kit does.
DDL = """
CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    key text NOT NULL,
    endpoint text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
)
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
