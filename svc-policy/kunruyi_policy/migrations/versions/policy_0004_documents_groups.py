"""policy documents (1+N+X), exclusion/stacking groups, and per-item payment rules

Revision ID: policy_0004
Revises: policy_0003
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policy_0004"
down_revision: str | None = "policy_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_documents",
        sa.Column("code", sa.String(60), primary_key=True),
        sa.Column("doc_number", sa.String(80), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(120), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("parent_code", sa.String(60), sa.ForeignKey("policy_documents.code"), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("url", sa.String(300), nullable=False, server_default=""),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.CheckConstraint("level IN ('1', 'N', 'X')", name="ck_policy_documents_level"),
    )
    op.create_table(
        "policy_groups",
        sa.Column("code", sa.String(60), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("annual_cap_fen", sa.BigInteger(), nullable=True),
    )
    op.add_column("policies", sa.Column("document_code", sa.String(60), nullable=True))
    op.create_foreign_key(
        "fk_policies_document_code", "policies", "policy_documents", ["document_code"], ["code"]
    )
    op.create_index("ix_policies_document_code", "policies", ["document_code"])
    op.add_column("policies", sa.Column("benefit_kind", sa.String(20), nullable=False, server_default="cash"))
    op.add_column("policies", sa.Column("exclusion_group", sa.String(60), nullable=True))
    op.add_column("policies", sa.Column("stacking_group", sa.String(60), nullable=True))
    op.create_foreign_key(
        "fk_policies_stacking_group", "policies", "policy_groups", ["stacking_group"], ["code"]
    )
    op.add_column(
        "policies",
        sa.Column("once_per_entity", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_constraint("fk_policies_stacking_group", "policies", type_="foreignkey")
    op.drop_column("policies", "once_per_entity")
    op.drop_column("policies", "stacking_group")
    op.drop_column("policies", "exclusion_group")
    op.drop_column("policies", "benefit_kind")
    op.drop_index("ix_policies_document_code", "policies")
    op.drop_constraint("fk_policies_document_code", "policies", type_="foreignkey")
    op.drop_column("policies", "document_code")
    op.drop_table("policy_groups")
    op.drop_table("policy_documents")
