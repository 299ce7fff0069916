"""The talent-program tables (双创人才, 双创团队, 头雁人才 … : programs, yearly calls, applications, expert panels,
conflict declarations, scores and 公示 objections), declared on the service's one metadata exactly as
``disbursement_0008``, ``disbursement_0012`` and ``disbursement_0013`` create them (``tests/test_models_match_migrations.py`` compares them with a migrated database)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.sql.elements import conv

from kunruyi_disbursement.tables import metadata


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


programs = Table(
    "programs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("applicant_kind", Text, nullable=False),
    Column("department", Text, nullable=False),
    Column("created_by", Text),
    _now("created_at"),
    UniqueConstraint("code", name=conv("programs_code_key")),
    CheckConstraint("applicant_kind IN ('talent', 'team')", name="applicant_kind"),
)

program_calls = Table(
    "program_calls",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("program_id", UUID(as_uuid=True), nullable=False),
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'open'")),
    Column("categories", JSONB, nullable=False),
    Column("funding_levels", JSONB, nullable=False),
    Column("notice_days", Integer, nullable=False, server_default=text("5")),
    Column("notice_starts_on", Date),
    Column("notice_ends_on", Date),
    Column("selected_by", Text),
    Column("selected_at", DateTime(timezone=True)),
    Column("created_by", Text),
    _now("created_at"),
    # the svc-policy policy whose rules say who may apply (disbursement_0013); none: anyone may
    Column("eligibility_policy", Text),
    ForeignKeyConstraint(["program_id"], ["programs.id"], name=conv("program_calls_program_id_fkey")),
    UniqueConstraint("program_id", "year", name="uq_program_calls_program_year"),
    CheckConstraint("closes_on >= opens_on", name="window"),
    CheckConstraint("status IN ('open', 'closed', 'selected', 'public_notice')", name="status"),
)

program_panel_members = Table(
    "program_panel_members",
    metadata,
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("expert", Text, nullable=False),
    Column("expert_name", Text),
    Column("added_by", Text),
    _now("added_at"),
    PrimaryKeyConstraint("call_id", "expert", name=conv("program_panel_members_pkey")),
    ForeignKeyConstraint(["call_id"], ["program_calls.id"], name=conv("program_panel_members_call_id_fkey")),
)

program_applications = Table(
    "program_applications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("applicant_id", Text, nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("company_uscc", Text),
    Column("company_name", Text),
    Column("category", Text, nullable=False),
    Column("funding_level", Text, nullable=False),
    Column("requested_amount_fen", BigInteger, nullable=False),
    Column("plan", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'submitted'")),
    Column("rank", Integer),
    Column("normalised_score", Text),
    Column("submitted_by", Text),
    _now("created_at"),
    # the calculator's answer the application was admitted on (disbursement_0013)
    Column("eligibility", JSONB),
    ForeignKeyConstraint(["call_id"], ["program_calls.id"], name=conv("program_applications_call_id_fkey")),
    # One application per talent (or team) per call.
    UniqueConstraint("call_id", "applicant_id", name="uq_program_applications_call_applicant"),
    CheckConstraint("requested_amount_fen > 0", name="requested_amount_positive"),
    CheckConstraint("status IN ('submitted', 'selected', 'not_selected', 'withdrawn')", name="status"),
    Index("ix_program_applications_call", "call_id", "category"),
)

program_conflicts = Table(
    "program_conflicts",
    metadata,
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("expert", Text, nullable=False),
    Column("party", Text, nullable=False),
    Column("reason", Text, nullable=False),
    _now("declared_at"),
    PrimaryKeyConstraint("call_id", "expert", "party", name=conv("program_conflicts_pkey")),
    ForeignKeyConstraint(["call_id"], ["program_calls.id"], name=conv("program_conflicts_call_id_fkey")),
)

program_scores = Table(
    "program_scores",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("expert", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    _now("scored_at"),
    ForeignKeyConstraint(
        ["application_id"], ["program_applications.id"], name=conv("program_scores_application_id_fkey")
    ),
    # Each expert scores an application once.
    UniqueConstraint("application_id", "expert", name="uq_program_scores_application_expert"),
    CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
)

program_objections = Table(
    "program_objections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("objector", Text),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'open'")),
    Column("resolution", Text),
    Column("resolved_by", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Column("promoted_application_id", UUID(as_uuid=True)),
    _now("created_at"),
    ForeignKeyConstraint(["call_id"], ["program_calls.id"], name=conv("program_objections_call_id_fkey")),
    ForeignKeyConstraint(
        ["application_id"], ["program_applications.id"], name=conv("program_objections_application_id_fkey")
    ),
    ForeignKeyConstraint(
        ["promoted_application_id"],
        ["program_applications.id"],
        name=conv("program_objections_promoted_application_id_fkey"),
    ),
    CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="status"),
    Index("ix_program_objections_application", "application_id", "status"),
)
