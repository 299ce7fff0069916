"""The policy service's tables. Each domain module adds its models to this metadata."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table
from kunruyi_common.jobs import JobColumns
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
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


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
# Triggers alembic does not see, by table (tests/test_models_match_migrations.py checks them against the database):
# each statement writing a catalog table changes the catalog's revision token (policy_0013, CatalogRevision).
Base.metadata.info["triggers"] = {
    table: ("bump_catalog_revision",)
    for table in (
        "policies",
        "policy_versions",
        "policy_groups",
        "departments",
        "policy_categories",
        "policy_themes",
    )
}


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


class PolicyDocument(Base):
    """A policy document (文件) of the 1+N+X structure: level 1 the master policy, N sector policies, X rules."""

    __tablename__ = "policy_documents"
    __table_args__ = (CheckConstraint("level IN ('1', 'N', 'X')", name="ck_policy_documents_level"),)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    doc_number: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(1))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("policy_documents.code"), nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")


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


class EntityProfile(Base):
    """Read model of svc-talent's enterprises and talent, normalised to the variable dictionary."""

    __tablename__ = "entity_profiles"
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source_event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ProgramAward(Base):
    """A past talent-program award (svc-disbursement's ``program.selected``; removed by ``selection_withdrawn``),
    read into the talent's profile as ``program_award_codes`` and ``years_since_program_award``."""

    __tablename__ = "program_awards"
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    talent_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    program_code: Mapped[str] = mapped_column(String(64), nullable=False)
    funding_level: Mapped[str] = mapped_column(String(32), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Entitlement(Base):
    """The guard of 免申即享: one row, hence one event, per (policy, entity, period, sequence) — sequence 0 the
    period's entitlement, 1, 2 … its supplements (补充认定) for loans that closed after it was determined."""

    __tablename__ = "entitlements"
    __table_args__ = (
        UniqueConstraint(
            "policy_code",
            "entity_type",
            "entity_id",
            "period",
            "sequence",
            name="uq_entitlements_policy_code",
        ),
        # an entity's entitlements so far (settling a run's chunk: exclusion groups, caps, pay once)
        Index("ix_entitlements_entity", "entity_type", "entity_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    trace_digest: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    determined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # 补充认定: 0 the period's entitlement, n ≥ 1 its n-th supplement (``supplement_of`` the original's id)
    sequence: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    supplement_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # a financing item's entitlement: the loans it covers ("<institution>|<loan number>"); null for other items
    loan_keys: Mapped[list[str] | None] = mapped_column(ARRAY(Text), nullable=True)


class EntitlementRun(Base):
    __tablename__ = "entitlement_runs"
    __table_args__ = (UniqueConstraint("period", "catalog_digest", name="uq_entitlement_runs_period"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    period: Mapped[str] = mapped_column(String(10))
    evaluation_date: Mapped[date] = mapped_column(Date)
    catalog_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the background job doing the run (jobs/); a cancelled or failed run gets a new one when started again
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)


class PolicyReach(Base):
    """Which application policies an entity is already known to be in reach of (reach/): a policy newly in reach
    is announced once (``kunruyi.policy.reach.gained``); it is announced again only after the entity fell out of
    reach (the row is removed then)."""

    __tablename__ = "policy_reach"
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    gained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class BackgroundJob(JobColumns, Base):
    """Work too long for a request (jobs/): a 免申即享 run, a publication's re-evaluation, a catalog import. Any
    replica's worker claims it (``FOR UPDATE SKIP LOCKED``) under a lease it renews with every chunk; an expired
    lease is taken over by another replica, which resumes after the last committed chunk (``cursor``, ``done``).
    The columns are the kit's (``kunruyi_common.jobs.JobColumns``)."""
