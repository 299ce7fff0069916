"""funding agreements: tranches tied to milestones, released through the disbursement path, and 绩效评估

Revision ID: disbursement_0010
Revises: disbursement_0009
Create Date: 2026-12-05

A selected program application gets one funding agreement (资助协议): its total split into tranches, each tied to a
milestone (company registered in Kunshan, first revenue, headcount, an annual assessment passed). A confirmed
milestone's tranche is released as a disbursement of the program's budget (paid once by the bank). A yearly
assessment (绩效评估) passes, or fails and pauses or ends the remaining tranches.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0010"
down_revision: str | None = "disbursement_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE funding_agreements (
            id uuid PRIMARY KEY,
            application_id uuid NOT NULL UNIQUE REFERENCES program_applications (id),
            call_id uuid NOT NULL REFERENCES program_calls (id),
            policy_code text NOT NULL,
            department text NOT NULL,
            applicant_id text NOT NULL,
            applicant_name text NOT NULL,
            company_uscc text,
            company_name text,
            funding_level text NOT NULL,
            total_fen bigint NOT NULL,
            released_fen bigint NOT NULL DEFAULT 0,
            status text NOT NULL DEFAULT 'active',
            status_reason text,
            created_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_funding_agreements_total_positive CHECK (total_fen > 0),
            CONSTRAINT ck_funding_agreements_released_within_total CHECK (released_fen BETWEEN 0 AND total_fen),
            CONSTRAINT ck_funding_agreements_status
                CHECK (status IN ('active', 'paused', 'terminated', 'completed'))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE funding_tranches (
            id uuid PRIMARY KEY,
            agreement_id uuid NOT NULL REFERENCES funding_agreements (id),
            seq integer NOT NULL,
            milestone text NOT NULL,
            target integer,
            assessment_year integer,
            amount_fen bigint NOT NULL,
            status text NOT NULL DEFAULT 'pending',
            evidence text,
            confirmed_by text,
            confirmed_at timestamptz,
            released_fen bigint,
            released_by text,
            released_at timestamptz,
            disbursement_id uuid REFERENCES disbursements (id),
            CONSTRAINT uq_funding_tranches_agreement_seq UNIQUE (agreement_id, seq),
            CONSTRAINT ck_funding_tranches_amount_positive CHECK (amount_fen > 0),
            CONSTRAINT ck_funding_tranches_milestone
                CHECK (milestone IN ('company_registered', 'first_revenue', 'headcount', 'assessment_passed')),
            CONSTRAINT ck_funding_tranches_status CHECK (status IN ('pending', 'due', 'released', 'cancelled'))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE funding_assessments (
            id bigserial PRIMARY KEY,
            agreement_id uuid NOT NULL REFERENCES funding_agreements (id),
            year integer NOT NULL,
            result text NOT NULL,
            reason text,
            consequence text,
            assessed_by text NOT NULL,
            assessed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_funding_assessments_agreement_year UNIQUE (agreement_id, year),
            CONSTRAINT ck_funding_assessments_result CHECK (result IN ('pass', 'fail')),
            CONSTRAINT ck_funding_assessments_consequence CHECK (consequence IN ('pause', 'terminate')),
            CONSTRAINT ck_funding_assessments_fail_explained
                CHECK (result = 'pass' OR (reason IS NOT NULL AND consequence IS NOT NULL))
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE funding_assessments")
    op.execute("DROP TABLE funding_tranches")
    op.execute("DROP TABLE funding_agreements")
