"""catalog_revision: one row whose token changes (a trigger, in the writing transaction) with every statement that
writes a table the compiled catalog is built from — policies, their versions, stacking groups, departments,
categories and themes. Each replica keeps its compiled catalog while the token it reads is the one it compiled
for: one primary-key read per calculation instead of re-reading (or fingerprinting) the whole catalog.

The token is a random UUID, never a counter: a rolled-back change restores the previous token (whose compiled
catalog is still right), and two databases never share a token by chance.

Revision ID: policy_0013
Revises: policy_0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "policy_0013"
down_revision: str | None = "policy_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOG_TABLES = (
    "policies",
    "policy_versions",
    "policy_groups",
    "departments",
    "policy_categories",
    "policy_themes",
)


def upgrade() -> None:
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("token", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_revision"),
    )
    op.execute("INSERT INTO catalog_revision (id, token) VALUES (1, gen_random_uuid())")
    # BEFORE each statement: a writer takes the token row's lock before any catalog row's, so two writers of the
    # catalog queue on it instead of deadlocking on each other's rows.
    op.execute(
        """
        CREATE FUNCTION bump_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO catalog_revision (id, token) VALUES (1, gen_random_uuid())
            ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
            RETURN NULL;
        END
        $$
        """
    )
    for table in CATALOG_TABLES:
        op.execute(
            f"CREATE TRIGGER bump_catalog_revision BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision()"
        )


def downgrade() -> None:
    for table in CATALOG_TABLES:
        op.execute(f"DROP TRIGGER bump_catalog_revision ON {table}")
    op.execute("DROP FUNCTION bump_catalog_revision()")
    op.drop_table("catalog_revision")
