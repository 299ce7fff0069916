"""The policy catalog's tables: departments, categories, themes, groups, the catalog's revision token, policies and their versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class Department(Base):
    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PolicyCategory(Base):
    __tablename__ = "policy_categories"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PolicyTheme(Base):
    __tablename__ = "policy_themes"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("policy_categories.code"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PolicyGroup(Base):
    """A stacking group: the items in it share a cap per entity per year (同一事项不重复享受，叠加封顶)."""

    __tablename__ = "policy_groups"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    annual_cap_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CatalogRevision(Base):
    """One row (``id`` 1): a token that a trigger changes with every statement writing a table the compiled
    catalog is built from (migration policy_0013). Replicas keep their compiled catalog while it is unchanged."""

    __tablename__ = "catalog_revision"
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    token: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Policy(Base):
    """One benefit (颗粒化). Its rules live in immutable dated versions."""

    __tablename__ = "policies"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    legal_source: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("policy_categories.code"), index=True)
    theme_code: Mapped[str] = mapped_column(ForeignKey("policy_themes.code"), index=True)
    policy_type: Mapped[str] = mapped_column(String(20))
    beneficiary: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    target_description: Mapped[str] = mapped_column(Text, default="")
    conditions_text: Mapped[str] = mapped_column(Text, default="")
    payout_days: Mapped[int] = mapped_column(Integer, default=20)
    annual_budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # the document (文件) that is the item's legal source
    document_code: Mapped[str | None] = mapped_column(
        ForeignKey("policy_documents.code", name="fk_policies_document_code"), nullable=True, index=True
    )
    # cash (资金), tax (税收减免), land (用地), service (服务/权益), qualification (资质/荣誉): only cash is paid out
    benefit_kind: Mapped[str] = mapped_column(String(20), default="cash", server_default="cash")
    # tiers of one topic (就高不重复): of the items sharing a group, only the best one that fits counts
    exclusion_group: Mapped[str | None] = mapped_column(String(60), nullable=True)
    stacking_group: Mapped[str | None] = mapped_column(
        ForeignKey("policy_groups.code", name="fk_policies_stacking_group"), nullable=True
    )
    # a one-off award (首次认定、建站、上市): never determined twice for the same entity, in any period
    once_per_entity: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # What the applicant reads (通俗解读, FAQ, 申报材料, 受理时间) and how an application is reviewed (stages, 公示
    # days; None = the default workflow), sent with the publication events to svc-disbursement.
    plain_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    faq: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    materials: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    application_window: Mapped[str] = mapped_column(String(200), default="", server_default="")
    review_stages: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Pre-segmented jieba tokens (space separated) of the searchable text, recomputed on every edit.
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PolicyVersion(Base):
    """Rules of a policy from an effective date on. Published versions are never changed; a draft is editable."""

    __tablename__ = "policy_versions"
    # Constraint names as the migrations created them (shorter than the naming convention's).
    __table_args__ = (UniqueConstraint("policy_id", "version", name="uq_policy_versions_policy_id"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policies.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    amount: Mapped[Any] = mapped_column(JSONB, nullable=True)
    amount_cap_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
