"""catalog, versioned rules, profile read model, entitlements and runs

Revision ID: policy_0002
Revises: policy_0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "policy_0002"
down_revision: str | None = "policy_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
    )
    op.create_table(
        "policy_categories",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
    )
    op.create_table(
        "policy_themes",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("category_code", sa.String(40), sa.ForeignKey("policy_categories.code"), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
    )
    op.create_table(
        "policies",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("code", sa.String(60), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("legal_source", sa.String(200), nullable=False),
        sa.Column(
            "department_code", sa.String(40), sa.ForeignKey("departments.code"), nullable=False, index=True
        ),
        sa.Column(
            "category_code",
            sa.String(40),
            sa.ForeignKey("policy_categories.code"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "theme_code", sa.String(40), sa.ForeignKey("policy_themes.code"), nullable=False, index=True
        ),
        sa.Column("policy_type", sa.String(20), nullable=False),
        sa.Column("beneficiary", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("target_description", sa.Text(), nullable=False),
        sa.Column("conditions_text", sa.Text(), nullable=False),
        sa.Column("payout_days", sa.Integer(), nullable=False),
        sa.Column("annual_budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.String(40)), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("search_tokens", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "policy_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("policies.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("criteria", postgresql.JSONB(), nullable=False),
        sa.Column("amount", postgresql.JSONB(), nullable=True),
        sa.Column("amount_cap_fen", sa.BigInteger(), nullable=True),
        sa.Column("parameters", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("policy_id", "version", name="uq_policy_versions_policy_id"),
    )
    op.create_table(
        "entity_profiles",
        sa.Column("entity_type", sa.String(20), primary_key=True),
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("profile", postgresql.JSONB(), nullable=False),
        sa.Column("source_event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "entitlements",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("policy_code", sa.String(60), nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("trace_digest", sa.String(64), nullable=False),
        sa.Column("run_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("determined_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint(
            "policy_code", "entity_type", "entity_id", "period", name="uq_entitlements_policy_code"
        ),
    )
    op.create_table(
        "entitlement_runs",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("evaluation_date", sa.Date(), nullable=False),
        sa.Column("catalog_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("counts", postgresql.JSONB(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(120), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("period", "catalog_digest", name="uq_entitlement_runs_period"),
    )


def downgrade() -> None:
    for name in (
        "entitlement_runs",
        "entitlements",
        "entity_profiles",
        "policy_versions",
        "policies",
        "policy_themes",
        "policy_categories",
        "departments",
    ):
        op.drop_table(name)
