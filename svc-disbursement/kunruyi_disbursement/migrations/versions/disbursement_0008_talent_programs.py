"""talent programs: programs, yearly calls (批次), applications, expert panels, conflicts of interest and scores

Revision ID: disbursement_0008
Revises: disbursement_0007
Create Date: 2026-12-05

A program (双创人才, 双创团队, 头雁人才 …) belongs to a department and has one call a year: a window, quotas by
category and funding levels. A talent (or team) applies once per call; a panel of experts scores each application
once (0–100), never one whose company or applicant they declared a conflict with; the department's approver
selects within the quotas by rank and publishes the 公示 list.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "disbursement_0008"
down_revision: str | None = "disbursement_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE programs (
            id uuid PRIMARY KEY,
            code text NOT NULL UNIQUE,
            title text NOT NULL,
            applicant_kind text NOT NULL,
            department text NOT NULL,
            created_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_programs_applicant_kind CHECK (applicant_kind IN ('talent', 'team'))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE program_calls (
            id uuid PRIMARY KEY,
            program_id uuid NOT NULL REFERENCES programs (id),
            year integer NOT NULL,
            title text NOT NULL,
            opens_on date NOT NULL,
            closes_on date NOT NULL,
            status text NOT NULL DEFAULT 'open',
            categories jsonb NOT NULL,
            funding_levels jsonb NOT NULL,
            notice_days integer NOT NULL DEFAULT 5,
            notice_starts_on date,
            notice_ends_on date,
            selected_by text,
            selected_at timestamptz,
            created_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_program_calls_program_year UNIQUE (program_id, year),
            CONSTRAINT ck_program_calls_window CHECK (closes_on >= opens_on),
            CONSTRAINT ck_program_calls_status CHECK (status IN ('open', 'closed', 'selected', 'public_notice'))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE program_panel_members (
            call_id uuid NOT NULL REFERENCES program_calls (id),
            expert text NOT NULL,
            expert_name text,
            added_by text,
            added_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (call_id, expert)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE program_applications (
            id uuid PRIMARY KEY,
            call_id uuid NOT NULL REFERENCES program_calls (id),
            applicant_id text NOT NULL,
            applicant_name text NOT NULL,
            company_uscc text,
            company_name text,
            category text NOT NULL,
            funding_level text NOT NULL,
            requested_amount_fen bigint NOT NULL,
            plan text NOT NULL,
            status text NOT NULL DEFAULT 'submitted',
            rank integer,
            normalised_score text,
            submitted_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_program_applications_call_applicant UNIQUE (call_id, applicant_id),
            CONSTRAINT ck_program_applications_requested_amount_positive CHECK (requested_amount_fen > 0),
            CONSTRAINT ck_program_applications_status CHECK (status IN ('submitted', 'selected', 'not_selected'))
        )
        """
    )
    op.execute("CREATE INDEX ix_program_applications_call ON program_applications (call_id, category)")
    op.execute(
        """
        CREATE TABLE program_conflicts (
            call_id uuid NOT NULL REFERENCES program_calls (id),
            expert text NOT NULL,
            party text NOT NULL,
            reason text NOT NULL,
            declared_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (call_id, expert, party)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE program_scores (
            id bigserial PRIMARY KEY,
            application_id uuid NOT NULL REFERENCES program_applications (id),
            expert text NOT NULL,
            score integer NOT NULL,
            comment text,
            scored_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_program_scores_application_expert UNIQUE (application_id, expert),
            CONSTRAINT ck_program_scores_score_range CHECK (score BETWEEN 0 AND 100)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE program_scores")
    op.execute("DROP TABLE program_conflicts")
    op.execute("DROP TABLE program_applications")
    op.execute("DROP TABLE program_panel_members")
    op.execute("DROP TABLE program_calls")
    op.execute("DROP TABLE programs")
