"""科技金融: financing demands, financial products (supply) and the pipeline per (demand, product)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_matching.base import Base


class FinancingDemand(Base):
    """A company's financing need (融资需求): how much, at which stage, for what, against which collateral."""

    __tablename__ = "financing_demands"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(16))
    # free text: masked in clear, the original encrypted (kunruyi_common.pii_text, "financing_demands.purpose:<id>")
    purpose: Mapped[str] = mapped_column(Text)
    purpose_encrypted: Mapped[str | None] = mapped_column(Text)
    collateral_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    preferred_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    industry_chain: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # 期望期限 (months); none: any term (matching_0011)
    term_months: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FinancialProduct(Base):
    """A financial product on offer (金融供给): a bank's 人才贷/科技贷/知识产权质押贷, an investor's or fund's
    investment, a guarantor's guarantee, an insurer's 人才创业保; with the criteria matching reads."""

    __tablename__ = "financial_products"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    institution: Mapped[str] = mapped_column(String(120))
    institution_kind: Mapped[str] = mapped_column(String(16))
    # the partner app key that records this product's pipelines through the signed API (finance:write)
    partner_app_key: Mapped[str | None] = mapped_column(String(64), index=True)
    product_kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger)
    stages: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    collateral_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    industry_chains: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    rate_note: Mapped[str | None] = mapped_column(String(120))
    max_term_months: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FinancingPipeline(Base):
    """One (demand, product) engagement: 对接 → 尽调 → 授信/投资 → 放款/交割, with the closing's terms."""

    __tablename__ = "financing_pipelines"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("demand_id", "product_id"),
        UniqueConstraint("institution", "loan_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    demand_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("financing_demands.id"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("financial_products.id"))
    institution: Mapped[str] = mapped_column(String(120))
    stage: Mapped[str] = mapped_column(String(16))
    loan_number: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    annual_rate_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    term_months: Mapped[int | None] = mapped_column(Integer)
    first_year_interest_fen: Mapped[int | None] = mapped_column(BigInteger)
    guarantee_fee_fen: Mapped[int | None] = mapped_column(BigInteger)
    premium_fen: Mapped[int | None] = mapped_column(BigInteger)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class FinancingStageRecord(Base):
    """Every step of a financing pipeline: stage, previous stage, who recorded it, when, the note (masked)."""

    __tablename__ = "financing_stage_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("financing_pipelines.id"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    previous_stage: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    note_encrypted: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
