"""公示 objections (异议) against selected program applications, 验收 of funding agreements, and the companies'
qualification dates in the directory read model (for acceptance's green channel)

Revision ID: disbursement_0012
Revises: disbursement_0011
Create Date: 2026-12-05

During the 公示 anyone may object to a selected application; an officer upholds (the selection is withdrawn and the
next in rank within the quota is selected) or dismisses it. At the end of an agreement an officer records its
acceptance (验收): passed or failed after the regular review, or passed through the green channel when the company
reached 高企/专精特新/瞪羚/独角兽培育/规上 during the program (read from svc-talent's enterprise events).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0012"
down_revision: str | None = "disbursement_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE program_applications DROP CONSTRAINT ck_program_applications_status")
    op.execute(
        """
        ALTER TABLE program_applications ADD CONSTRAINT ck_program_applications_status
            CHECK (status IN ('submitted', 'selected', 'not_selected', 'withdrawn'))
        """
    )
    op.execute(
        """
        CREATE TABLE program_objections (
            id uuid PRIMARY KEY,
            call_id uuid NOT NULL REFERENCES program_calls (id),
            application_id uuid NOT NULL REFERENCES program_applications (id),
            objector text,
            reason text NOT NULL,
            status text NOT NULL DEFAULT 'open',
            resolution text,
            resolved_by text,
            resolved_at timestamptz,
            promoted_application_id uuid REFERENCES program_applications (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_program_objections_status CHECK (status IN ('open', 'upheld', 'dismissed'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_program_objections_application ON program_objections (application_id, status)"
    )
    op.execute(
        """
        CREATE TABLE funding_acceptances (
            agreement_id uuid PRIMARY KEY REFERENCES funding_agreements (id),
            result text NOT NULL,
            channel text NOT NULL,
            note text,
            green_qualifications jsonb NOT NULL DEFAULT '[]'::jsonb,
            accepted_by text NOT NULL,
            accepted_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_funding_acceptances_result CHECK (result IN ('passed', 'failed')),
            CONSTRAINT ck_funding_acceptances_channel CHECK (channel IN ('regular', 'green')),
            CONSTRAINT ck_funding_acceptances_green_passes CHECK (channel = 'regular' OR result = 'passed')
        )
        """
    )
    op.execute("ALTER TABLE entity_names ADD COLUMN qualification_dates jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE entity_names DROP COLUMN qualification_dates")
    op.execute("DROP TABLE funding_acceptances")
    op.execute("DROP TABLE program_objections")
    op.execute("UPDATE program_applications SET status = 'not_selected' WHERE status = 'withdrawn'")
    op.execute("ALTER TABLE program_applications DROP CONSTRAINT ck_program_applications_status")
    op.execute(
        """
        ALTER TABLE program_applications ADD CONSTRAINT ck_program_applications_status
            CHECK (status IN ('submitted', 'selected', 'not_selected'))
        """
    )
