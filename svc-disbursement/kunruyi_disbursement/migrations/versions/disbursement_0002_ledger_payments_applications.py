"""ledger, budgets, disbursements, payments, applications, reconciliation, audit log

Revision ID: disbursement_0002
Revises: disbursement_0001
Create Date: 2026-11-21

Written as DDL because the ledger's guarantees live in the database itself: the CHECK that keeps a budget from
going below zero, and the triggers that make transfers and audit entries immutable.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0002"
down_revision: str | None = "disbursement_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE policies (
    code text PRIMARY KEY,
    title text NOT NULL,
    department text,
    mode text NOT NULL DEFAULT 'application',
    beneficiary text NOT NULL DEFAULT 'enterprise',
    version integer NOT NULL DEFAULT 1,
    annual_budget_fen bigint,
    max_amount_fen bigint,
    valid_from date,
    valid_to date,
    status text NOT NULL DEFAULT 'published',
    district text,
    review_stages jsonb,
    notice_days integer NOT NULL DEFAULT 5,
    source text NOT NULL DEFAULT 'event',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_accounts (
    id uuid PRIMARY KEY,
    code text NOT NULL,
    kind text NOT NULL,
    policy_code text,
    fiscal_year integer,
    entity_type text,
    entity_id text,
    must_not_overdraw boolean NOT NULL DEFAULT false,
    debits_pending bigint NOT NULL DEFAULT 0,
    debits_posted bigint NOT NULL DEFAULT 0,
    credits_pending bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_ledger_accounts_code UNIQUE (code),
    CONSTRAINT ck_ledger_accounts_kind CHECK (kind IN ('budget', 'payable', 'clearing', 'funding')),
    CONSTRAINT ck_ledger_accounts_amounts_non_negative CHECK (
        debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0),
    CONSTRAINT ck_ledger_accounts_budget_not_negative CHECK (
        NOT must_not_overdraw OR credits_posted - debits_posted - debits_pending >= 0)
);

CREATE TABLE ledger_transfers (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    debit_account_id uuid NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id uuid NOT NULL REFERENCES ledger_accounts (id),
    amount_fen bigint NOT NULL,
    phase text NOT NULL,
    pending_id uuid REFERENCES ledger_transfers (id),
    cause_type text NOT NULL,
    cause_id text NOT NULL,
    rule_version integer,
    memo text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_ledger_transfers_amount_positive CHECK (amount_fen > 0),
    CONSTRAINT ck_ledger_transfers_distinct_accounts CHECK (debit_account_id <> credit_account_id),
    CONSTRAINT ck_ledger_transfers_phase CHECK (phase IN ('single', 'pending', 'post', 'void')),
    CONSTRAINT ck_ledger_transfers_resolution_names_pending CHECK ((phase IN ('post', 'void')) = (pending_id IS NOT NULL))
);
-- A pending transfer is resolved at most once: posted or voided, never both, never twice.
CREATE UNIQUE INDEX uq_ledger_transfers_pending_id ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ix_ledger_transfers_debit ON ledger_transfers (debit_account_id);
CREATE INDEX ix_ledger_transfers_credit ON ledger_transfers (credit_account_id);
CREATE INDEX ix_ledger_transfers_cause ON ledger_transfers (cause_type, cause_id);

CREATE FUNCTION kunruyi_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION kunruyi_reject_change();

CREATE TABLE payees (
    id uuid PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    account_name text NOT NULL,
    account_number_encrypted text NOT NULL,
    account_number_index text NOT NULL,
    account_number_masked text NOT NULL,
    bank_name text NOT NULL,
    created_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_payees_entity UNIQUE (entity_type, entity_id)
);

CREATE TABLE applications (
    id uuid PRIMARY KEY,
    application_number text NOT NULL UNIQUE,
    policy_code text NOT NULL,
    policy_version integer,
    applicant_type text NOT NULL,
    applicant_id text NOT NULL,
    period text NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    channel text NOT NULL DEFAULT 'api',
    external_ref text,
    status text NOT NULL,
    workflow jsonb NOT NULL,
    notice_days integer NOT NULL DEFAULT 5,
    notice_ends_at timestamptz,
    reject_reason text,
    disbursement_id uuid,
    submitted_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_applications_policy_applicant_period UNIQUE (policy_code, applicant_type, applicant_id, period)
);
CREATE INDEX ix_applications_status ON applications (status);
CREATE SEQUENCE application_number_seq;

CREATE TABLE application_steps (
    id bigserial PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    from_status text,
    to_status text NOT NULL,
    action text NOT NULL,
    actor text,
    actor_name text,
    comment text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_application_steps_application ON application_steps (application_id);

CREATE TABLE application_attachments (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    filename text NOT NULL,
    content_type text,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    storage_key text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE application_objections (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    objector text NOT NULL,
    content text NOT NULL,
    recorded_by text,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE disbursements (
    id uuid PRIMARY KEY,
    mode text NOT NULL,
    policy_code text NOT NULL,
    policy_version integer,
    department text,
    district text,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    period text NOT NULL,
    fiscal_year integer NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    entitlement_id text,
    application_id uuid REFERENCES applications (id),
    status text NOT NULL,
    reservation_id uuid NOT NULL UNIQUE,
    payee_id uuid REFERENCES payees (id),
    approved_by text,
    approved_at timestamptz,
    reserved_at timestamptz,
    instruction_sent_at timestamptz,
    instruction_attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    bank_accepted_at timestamptz,
    bank_sequence integer NOT NULL DEFAULT 0,
    bank_status text,
    settled_at timestamptz,
    failure_reason text,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_disbursements_policy_entity_period UNIQUE (policy_code, entity_type, entity_id, period),
    CONSTRAINT ck_disbursements_status CHECK (status IN (
        'pending_approval', 'awaiting_budget', 'reserved', 'instructing', 'instructed',
        'settled', 'failed', 'returned', 'rejected'))
);
CREATE INDEX ix_disbursements_status ON disbursements (status, created_at);
CREATE INDEX ix_disbursements_entity ON disbursements (entity_id);

CREATE TABLE bank_callbacks (
    id bigserial PRIMARY KEY,
    reference text NOT NULL,
    bank_event_id text,
    status text NOT NULL,
    sequence integer NOT NULL,
    amount_fen bigint,
    outcome text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_bank_callbacks_reference ON bank_callbacks (reference);

CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    key text NOT NULL,
    endpoint text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

CREATE TABLE reconciliation_runs (
    id uuid PRIMARY KEY,
    statement_date date NOT NULL,
    matched integer NOT NULL,
    missing_in_ledger integer NOT NULL,
    missing_in_bank integer NOT NULL,
    amount_mismatches integer NOT NULL,
    report jsonb NOT NULL,
    created_by text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    seq bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor text,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    data jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION kunruyi_reject_change();
-- One row: the chain's tip. Appenders lock it, so entries are chained in commit order without forks.
CREATE TABLE audit_chain_head (
    id integer PRIMARY KEY CHECK (id = 1),
    last_seq bigint NOT NULL,
    last_hash text NOT NULL
);
INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, repeat('0', 64));
"""

DOWNGRADE = """
DROP TABLE audit_chain_head;
DROP TABLE audit_log;
DROP TABLE reconciliation_runs;
DROP TABLE idempotency_keys;
DROP TABLE bank_callbacks;
DROP TABLE disbursements;
DROP TABLE application_objections;
DROP TABLE application_attachments;
DROP TABLE application_steps;
DROP SEQUENCE application_number_seq;
DROP TABLE applications;
DROP TABLE payees;
DROP TABLE ledger_transfers;
DROP FUNCTION kunruyi_reject_change() CASCADE;
DROP TABLE ledger_accounts;
DROP TABLE policies;
"""


def _statements(script: str) -> list[str]:
    # asyncpg prepares each statement, so the script runs one statement at a time; ";" inside $$ bodies stays.
    statements, current, in_body = [], [], False
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip())
            current = []
    return [s for s in statements if s]


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
