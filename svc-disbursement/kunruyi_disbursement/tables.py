"""Every table of the disbursement service, as SQLAlchemy Core ``Table``s exactly as its migrations create them.

The migrations (``migrations/versions/disbursement_*``) are written as DDL and stay the source of truth; these
declarations tell alembic (and readers) what is there: columns, types, nullability, server defaults, indexes,
unique, CHECK and foreign-key constraints with the names the database gave them. ``tests/
test_models_match_migrations.py`` fails on any difference from a migrated database, so this file cannot drift.

Constraints the DDL left unnamed carry PostgreSQL's own names (``<table>_<column>_check``, ``_key``, ``_fkey``),
wrapped in ``conv()`` so the metadata's naming convention does not rename them.

Not seen by alembic, created by disbursement_0002 and kept there (the ledger's guarantees live in the database):

- function ``kunruyi_reject_change()``: raises ``restrict_violation`` ("<table> is append-only");
- trigger ``ledger_transfers_immutable`` BEFORE UPDATE OR DELETE ON ledger_transfers: transfers are never changed;
- trigger ``audit_log_append_only`` BEFORE UPDATE OR DELETE ON audit_log: audit entries are never changed;
- sequence ``application_number_seq`` (application numbers), declared below;
- the single ``audit_chain_head`` row (id 1, seq 0, 64 zeros) inserted by the migration.
"""

from __future__ import annotations

from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table
from kunruyi_common.periodic import periodic_runs_table
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    FetchedValue,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.sql.elements import conv

metadata: MetaData = new_metadata()
# The kit's tables: outbox and inbox (disbursement_0001), idempotency_keys (disbursement_0002), periodic_runs
# (disbursement_0009_periodic_runs).
outbox_events, inbox_events = event_tables(metadata)
idempotency_keys = idempotency_table(metadata)
periodic_runs = periodic_runs_table(metadata)
# Triggers alembic does not see, by table (tests/test_models_match_migrations.py checks them against the database).
metadata.info["triggers"] = {
    "ledger_transfers": ("ledger_transfers_immutable",),
    "audit_log": ("audit_log_append_only",),
}


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


policies = Table(
    "policies",
    metadata,
    Column("code", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("department", Text),
    Column("mode", Text, nullable=False, server_default=text("'application'")),
    Column("beneficiary", Text, nullable=False, server_default=text("'enterprise'")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("annual_budget_fen", BigInteger),
    Column("max_amount_fen", BigInteger),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("status", Text, nullable=False, server_default=text("'published'")),
    Column("district", Text),
    Column("review_stages", JSONB),
    Column("notice_days", Integer, nullable=False, server_default=text("5")),
    Column("source", Text, nullable=False, server_default=text("'event'")),
    _now("updated_at"),
    Column("four_eyes", Boolean, nullable=False, server_default=text("true")),
)

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("policy_code", Text),
    Column("fiscal_year", Integer),
    Column("entity_type", Text),
    Column("entity_id", Text),
    Column("must_not_overdraw", Boolean, nullable=False, server_default=text("false")),
    Column("debits_pending", BigInteger, nullable=False, server_default=text("0")),
    Column("debits_posted", BigInteger, nullable=False, server_default=text("0")),
    Column("credits_pending", BigInteger, nullable=False, server_default=text("0")),
    Column("credits_posted", BigInteger, nullable=False, server_default=text("0")),
    _now("created_at"),
    UniqueConstraint("code", name="uq_ledger_accounts_code"),
    CheckConstraint("kind IN ('budget', 'payable', 'clearing', 'funding')", name="kind"),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
        name="amounts_non_negative",
    ),
    # A budget never goes below zero, whatever the code does: the database refuses the row.
    CheckConstraint(
        "NOT must_not_overdraw OR credits_posted - debits_posted - debits_pending >= 0",
        name="budget_not_negative",
    ),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # bigserial: the sequence ledger_transfers_seq_seq fills it.
    Column("seq", BigInteger, nullable=False, server_default=FetchedValue()),
    Column("debit_account_id", UUID(as_uuid=True), nullable=False),
    Column("credit_account_id", UUID(as_uuid=True), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("phase", Text, nullable=False),
    Column("pending_id", UUID(as_uuid=True)),
    Column("cause_type", Text, nullable=False),
    Column("cause_id", Text, nullable=False),
    Column("rule_version", Integer),
    Column("memo", Text),
    _now("created_at"),
    UniqueConstraint("seq", name=conv("ledger_transfers_seq_key")),
    ForeignKeyConstraint(
        ["debit_account_id"], ["ledger_accounts.id"], name=conv("ledger_transfers_debit_account_id_fkey")
    ),
    ForeignKeyConstraint(
        ["credit_account_id"], ["ledger_accounts.id"], name=conv("ledger_transfers_credit_account_id_fkey")
    ),
    ForeignKeyConstraint(
        ["pending_id"], ["ledger_transfers.id"], name=conv("ledger_transfers_pending_id_fkey")
    ),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
    CheckConstraint("phase IN ('single', 'pending', 'post', 'void')", name="phase"),
    CheckConstraint(
        "(phase IN ('post', 'void')) = (pending_id IS NOT NULL)", name="resolution_names_pending"
    ),
    # A pending transfer is resolved at most once: posted or voided, never both, never twice.
    Index(
        "uq_ledger_transfers_pending_id",
        "pending_id",
        unique=True,
        postgresql_where=text("pending_id IS NOT NULL"),
    ),
    Index("ix_ledger_transfers_debit", "debit_account_id"),
    Index("ix_ledger_transfers_credit", "credit_account_id"),
    Index("ix_ledger_transfers_cause", "cause_type", "cause_id"),
)

payees = Table(
    "payees",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("account_name", Text, nullable=False),
    Column("account_number_encrypted", Text, nullable=False),
    Column("account_number_index", Text, nullable=False),
    Column("account_number_masked", Text, nullable=False),
    Column("bank_name", Text, nullable=False),
    Column("created_by", Text),
    _now("created_at"),
    _now("updated_at"),
    UniqueConstraint("entity_type", "entity_id", name="uq_payees_entity"),
)

application_number_seq = Sequence("application_number_seq", metadata=metadata)

applications = Table(
    "applications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_number", Text, nullable=False),
    Column("policy_code", Text, nullable=False),
    Column("policy_version", Integer),
    Column("applicant_type", Text, nullable=False),
    Column("applicant_id", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("channel", Text, nullable=False, server_default=text("'api'")),
    Column("external_ref", Text),
    Column("status", Text, nullable=False),
    Column("workflow", JSONB, nullable=False),
    Column("notice_days", Integer, nullable=False, server_default=text("5")),
    Column("notice_ends_at", DateTime(timezone=True)),
    Column("reject_reason", Text),
    Column("disbursement_id", UUID(as_uuid=True)),
    Column("submitted_by", Text),
    _now("created_at"),
    _now("updated_at"),
    Column("amount_source", Text, nullable=False, server_default=text("'requested'")),
    Column("amount_policy_version", Integer),
    Column("amount_calculator_status", Text),
    Column("amount_calculation", JSONB),
    Column("reject_reason_encrypted", Text),
    # the policy's four-eyes rule when the application was submitted (a later change never removes it)
    Column("four_eyes", Boolean, nullable=False, server_default=text("true")),
    UniqueConstraint("application_number", name=conv("applications_application_number_key")),
    UniqueConstraint(
        "policy_code",
        "applicant_type",
        "applicant_id",
        "period",
        name="uq_applications_policy_applicant_period",
    ),
    CheckConstraint("amount_fen > 0", name=conv("applications_amount_fen_check")),
    CheckConstraint("amount_source IN ('requested', 'computed')", name="amount_source"),
    CheckConstraint(
        "amount_calculator_status IN ('eligible', 'needs_confirmation')", name="amount_calculator_status"
    ),
    CheckConstraint(
        "(amount_source = 'requested' AND amount_policy_version IS NULL"
        " AND amount_calculator_status IS NULL AND amount_calculation IS NULL)"
        " OR (amount_source = 'computed' AND amount_policy_version IS NOT NULL"
        " AND amount_calculator_status IS NOT NULL AND amount_calculation IS NOT NULL)",
        name="computed_amount_provenance",
    ),
    Index("ix_applications_status", "status"),
)

application_steps = Table(
    "application_steps",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("actor", Text),
    Column("actor_name", Text),
    Column("comment", Text),
    _now("at"),
    Column("comment_encrypted", Text),
    ForeignKeyConstraint(
        ["application_id"], ["applications.id"], name=conv("application_steps_application_id_fkey")
    ),
    Index("ix_application_steps_application", "application_id"),
)

application_attachments = Table(
    "application_attachments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", Text),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("storage_key", Text, nullable=False),
    _now("uploaded_at"),
    ForeignKeyConstraint(
        ["application_id"], ["applications.id"], name=conv("application_attachments_application_id_fkey")
    ),
)

application_objections = Table(
    "application_objections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("objector", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("recorded_by", Text),
    _now("at"),
    Column("content_encrypted", Text),
    ForeignKeyConstraint(
        ["application_id"], ["applications.id"], name=conv("application_objections_application_id_fkey")
    ),
)

disbursements = Table(
    "disbursements",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("mode", Text, nullable=False),
    Column("policy_code", Text, nullable=False),
    Column("policy_version", Integer),
    Column("department", Text),
    Column("district", Text),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("entitlement_id", Text),
    Column("application_id", UUID(as_uuid=True)),
    Column("status", Text, nullable=False),
    Column("reservation_id", UUID(as_uuid=True), nullable=False),
    Column("payee_id", UUID(as_uuid=True)),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("reserved_at", DateTime(timezone=True)),
    Column("instruction_sent_at", DateTime(timezone=True)),
    Column("instruction_attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("bank_accepted_at", DateTime(timezone=True)),
    Column("bank_sequence", Integer, nullable=False, server_default=text("0")),
    Column("bank_status", Text),
    Column("settled_at", DateTime(timezone=True)),
    Column("failure_reason", Text),
    Column("last_error", Text),
    _now("created_at"),
    _now("updated_at"),
    Column("instruction_payee", JSONB),
    # 补充认定: 0 the period's payment, n ≥ 1 a supplement (its own entitlement) of ``supplement_of``
    Column("sequence", Integer, nullable=False, server_default=text("0")),
    Column("supplement_of", Text),
    UniqueConstraint("reservation_id", name=conv("disbursements_reservation_id_key")),
    UniqueConstraint(
        "policy_code",
        "entity_type",
        "entity_id",
        "period",
        "sequence",
        name="uq_disbursements_policy_entity_period",
    ),
    ForeignKeyConstraint(
        ["application_id"], ["applications.id"], name=conv("disbursements_application_id_fkey")
    ),
    ForeignKeyConstraint(["payee_id"], ["payees.id"], name=conv("disbursements_payee_id_fkey")),
    CheckConstraint("amount_fen > 0", name=conv("disbursements_amount_fen_check")),
    CheckConstraint(
        "status IN ('pending_approval', 'awaiting_budget', 'reserved', 'instructing', 'instructed',"
        " 'settled', 'failed', 'returned', 'rejected')",
        name="status",
    ),
    Index("ix_disbursements_status", "status", "created_at"),
    Index("ix_disbursements_entity", "entity_id"),
)

superseded_payments = Table(
    "superseded_payments",
    metadata,
    Column("reference", UUID(as_uuid=True), primary_key=True),
    Column("disbursement_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("failure_reason", Text),
    Column("bank_sequence", Integer, nullable=False),
    Column("superseded_by", UUID(as_uuid=True), nullable=False),
    Column("actor", Text),
    Column("comment", Text),
    _now("superseded_at"),
    ForeignKeyConstraint(
        ["disbursement_id"], ["disbursements.id"], name=conv("superseded_payments_disbursement_id_fkey")
    ),
    CheckConstraint("status IN ('failed', 'returned')", name=conv("superseded_payments_status_check")),
    Index("ix_superseded_payments_disbursement", "disbursement_id"),
)

bank_callbacks = Table(
    "bank_callbacks",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("reference", Text, nullable=False),
    Column("bank_event_id", Text),
    Column("status", Text, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("amount_fen", BigInteger),
    Column("outcome", Text, nullable=False),
    _now("received_at"),
    Index("ix_bank_callbacks_reference", "reference"),
)

reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("statement_date", Date, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("missing_in_ledger", Integer, nullable=False),
    Column("missing_in_bank", Integer, nullable=False),
    Column("amount_mismatches", Integer, nullable=False),
    Column("report", JSONB, nullable=False),
    Column("created_by", Text),
    _now("created_at"),
)

# Append-only (trigger audit_log_append_only); seq is given by the appender from audit_chain_head, not a sequence.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text),
    Column("action", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

# One row: the chain's tip. Appenders lock it, so entries are chained in commit order without forks.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", Text, nullable=False),
    CheckConstraint("id = 1", name=conv("audit_chain_head_id_check")),
)
