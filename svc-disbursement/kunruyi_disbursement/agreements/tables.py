"""The funding-agreement tables (资助协议: agreements, their tranches tied to milestones, the yearly 绩效评估 and
the final 验收), declared on the service's one metadata exactly as ``disbursement_0010`` and ``disbursement_0012``
create them
(``tests/test_models_match_migrations.py`` compares them with a migrated database)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
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


funding_agreements = Table(
    "funding_agreements",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("policy_code", Text, nullable=False),
    Column("department", Text, nullable=False),
    Column("applicant_id", Text, nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("company_uscc", Text),
    Column("company_name", Text),
    Column("funding_level", Text, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("released_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("status_reason", Text),
    Column("created_by", Text),
    _now("created_at"),
    _now("updated_at"),
    ForeignKeyConstraint(
        ["application_id"], ["program_applications.id"], name=conv("funding_agreements_application_id_fkey")
    ),
    ForeignKeyConstraint(["call_id"], ["program_calls.id"], name=conv("funding_agreements_call_id_fkey")),
    # One agreement per selected application.
    UniqueConstraint("application_id", name=conv("funding_agreements_application_id_key")),
    CheckConstraint("total_fen > 0", name="total_positive"),
    CheckConstraint("released_fen BETWEEN 0 AND total_fen", name="released_within_total"),
    CheckConstraint("status IN ('active', 'paused', 'terminated', 'completed')", name="status"),
)

funding_tranches = Table(
    "funding_tranches",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("agreement_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("milestone", Text, nullable=False),
    Column("target", Integer),
    Column("assessment_year", Integer),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("evidence", Text),
    Column("confirmed_by", Text),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("released_fen", BigInteger),
    Column("released_by", Text),
    Column("released_at", DateTime(timezone=True)),
    Column("disbursement_id", UUID(as_uuid=True)),
    ForeignKeyConstraint(
        ["agreement_id"], ["funding_agreements.id"], name=conv("funding_tranches_agreement_id_fkey")
    ),
    ForeignKeyConstraint(
        ["disbursement_id"], ["disbursements.id"], name=conv("funding_tranches_disbursement_id_fkey")
    ),
    UniqueConstraint("agreement_id", "seq", name="uq_funding_tranches_agreement_seq"),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint(
        "milestone IN ('company_registered', 'first_revenue', 'headcount', 'assessment_passed')",
        name="milestone",
    ),
    CheckConstraint("status IN ('pending', 'due', 'released', 'cancelled')", name="status"),
)

funding_assessments = Table(
    "funding_assessments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("agreement_id", UUID(as_uuid=True), nullable=False),
    Column("year", Integer, nullable=False),
    Column("result", Text, nullable=False),
    Column("reason", Text),
    Column("consequence", Text),
    Column("assessed_by", Text, nullable=False),
    _now("assessed_at"),
    ForeignKeyConstraint(
        ["agreement_id"], ["funding_agreements.id"], name=conv("funding_assessments_agreement_id_fkey")
    ),
    # One 绩效评估 per agreement per year.
    UniqueConstraint("agreement_id", "year", name="uq_funding_assessments_agreement_year"),
    CheckConstraint("result IN ('pass', 'fail')", name="result"),
    CheckConstraint("consequence IN ('pause', 'terminate')", name="consequence"),
    CheckConstraint(
        "result = 'pass' OR (reason IS NOT NULL AND consequence IS NOT NULL)", name="fail_explained"
    ),
)

funding_acceptances = Table(
    "funding_acceptances",
    metadata,
    # One 验收 per agreement.
    Column("agreement_id", UUID(as_uuid=True), primary_key=True),
    Column("result", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("note", Text),
    Column("green_qualifications", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("accepted_by", Text, nullable=False),
    _now("accepted_at"),
    ForeignKeyConstraint(
        ["agreement_id"], ["funding_agreements.id"], name=conv("funding_acceptances_agreement_id_fkey")
    ),
    CheckConstraint("result IN ('passed', 'failed')", name="result"),
    CheckConstraint("channel IN ('regular', 'green')", name="channel"),
    CheckConstraint("channel = 'regular' OR result = 'passed'", name="green_passes"),
)
