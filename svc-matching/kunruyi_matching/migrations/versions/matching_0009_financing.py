"""科技金融 (拨·投·保·贷·贴): financing demands, financial products (supply), the pipeline per (demand, product)
with the closing's terms (one loan number per institution), and its stage records.

Revision ID: matching_0009
Revises: matching_0008
Create Date: 2026-12-05 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "matching_0009"
down_revision: str | None = "matching_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "financing_demands",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("enterprise_uscc", sa.String(18), nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_encrypted", sa.Text(), nullable=True),
        sa.Column("collateral_kinds", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("preferred_kinds", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("industry_chain", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_demands")),
    )
    op.create_index(
        op.f("ix_financing_demands_enterprise_uscc"), "financing_demands", ["enterprise_uscc"], unique=False
    )
    op.create_table(
        "financial_products",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("institution", sa.String(120), nullable=False),
        sa.Column("institution_kind", sa.String(16), nullable=False),
        sa.Column("partner_app_key", sa.String(64), nullable=True),
        sa.Column("product_kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("min_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("max_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("stages", postgresql.ARRAY(sa.String(16)), nullable=False),
        sa.Column("collateral_kinds", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("industry_chains", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("rate_note", sa.String(120), nullable=True),
        sa.Column("max_term_months", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financial_products")),
    )
    op.create_index(
        op.f("ix_financial_products_partner_app_key"), "financial_products", ["partner_app_key"], unique=False
    )
    op.create_table(
        "financing_pipelines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("demand_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("institution", sa.String(120), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("loan_number", sa.String(64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("annual_rate_percent", sa.Numeric(6, 3), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("first_year_interest_fen", sa.BigInteger(), nullable=True),
        sa.Column("guarantee_fee_fen", sa.BigInteger(), nullable=True),
        sa.Column("premium_fen", sa.BigInteger(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["financing_demands.id"],
            name=op.f("fk_financing_pipelines_demand_id_financing_demands"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["financial_products.id"],
            name=op.f("fk_financing_pipelines_product_id_financial_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_pipelines")),
        sa.UniqueConstraint(
            "demand_id", "product_id", name=op.f("uq_financing_pipelines_demand_id_product_id")
        ),
        sa.UniqueConstraint(
            "institution", "loan_number", name=op.f("uq_financing_pipelines_institution_loan_number")
        ),
    )
    op.create_index(
        op.f("ix_financing_pipelines_demand_id"), "financing_pipelines", ["demand_id"], unique=False
    )
    op.create_table(
        "financing_stage_records",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("pipeline_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("previous_stage", sa.String(16), nullable=True),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_encrypted", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["financing_pipelines.id"],
            name=op.f("fk_financing_stage_records_pipeline_id_financing_pipelines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_stage_records")),
    )
    op.create_index(
        op.f("ix_financing_stage_records_pipeline_id"),
        "financing_stage_records",
        ["pipeline_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("financing_stage_records")
    op.drop_table("financing_pipelines")
    op.drop_table("financial_products")
    op.drop_table("financing_demands")
