"""enterprises (一企一档), talent (人才画像), service desk tickets and talent housing

Revision ID: talent_0002
Revises: talent_0001
Create Date: 2026-11-21 23:25:23.073839
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "talent_0002"
down_revision: str | None = "talent_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Ticket numbers read KS<yyyymmdd>-<n>; a sequence keeps them unique without locking the table.
    op.execute("CREATE SEQUENCE ticket_number_seq")
    op.create_table(
        "enterprises",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("industry_chain", sa.String(length=40), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("employees", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("invention_patents", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "platforms",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("employees >= 0", name=op.f("ck_enterprises_employees_non_negative")),
        sa.CheckConstraint("invention_patents >= 0", name=op.f("ck_enterprises_patents_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    op.create_index(
        "ix_enterprises_district_chain", "enterprises", ["district", "industry_chain"], unique=False
    )
    op.create_table(
        "housing_projects",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=200), server_default="", nullable=False),
        sa.Column("eligible_classes", postgresql.ARRAY(sa.String(length=1)), nullable=False),
        sa.Column("monthly_rent_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_housing_projects_code")),
    )
    op.create_table(
        "enterprise_contacts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_contacts_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_contacts")),
    )
    op.create_index(
        op.f("ix_enterprise_contacts_enterprise_id"), "enterprise_contacts", ["enterprise_id"], unique=False
    )
    op.create_table(
        "enterprise_figures",
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("rd_expense_fen", sa.BigInteger(), nullable=False),
        sa.Column("tax_paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("high_tech_revenue_ratio", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_figures_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "year", name=op.f("pk_enterprise_figures")),
    )
    op.create_table(
        "enterprise_qualifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("certificate_number", sa.String(length=80), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_qualifications_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_qualifications")),
        sa.UniqueConstraint(
            "enterprise_id", "kind", name=op.f("uq_enterprise_qualifications_enterprise_id_kind")
        ),
    )
    op.create_table(
        "talents",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("id_number_encrypted", sa.Text(), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("education", sa.String(length=10), server_default="other", nullable=False),
        sa.Column("school", sa.String(length=120), nullable=True),
        sa.Column("overseas", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=True),
        sa.Column("skill_level", sa.String(length=40), nullable=True),
        sa.Column(
            "programs",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("talent_class", sa.String(length=1), nullable=True),
        sa.Column("employer_id", sa.UUID(), nullable=True),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("annual_salary_fen", sa.BigInteger(), nullable=True),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=40)), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("expertise", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "fields", postgresql.ARRAY(sa.String(length=60)), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("is_expert", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["enterprises.id"], name=op.f("fk_talents_employer_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talents")),
        sa.UniqueConstraint("id_number_index", name=op.f("uq_talents_id_number_index")),
    )
    op.create_index(op.f("ix_talents_employer_id"), "talents", ["employer_id"], unique=False)
    op.create_index(op.f("ix_talents_phone_index"), "talents", ["phone_index"], unique=False)
    op.create_table(
        "housing_applications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("talent_id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("talent_class", sa.String(length=1), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declines", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("back_of_queue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["housing_projects.id"],
            name=op.f("fk_housing_applications_project_id_housing_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["talent_id"], ["talents.id"], name=op.f("fk_housing_applications_talent_id_talents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_applications")),
    )
    op.create_index(
        "ix_housing_applications_queue",
        "housing_applications",
        ["project_id", "status", "score", "queued_at"],
        unique=False,
    )
    op.create_index(
        "uq_housing_applications_live_talent",
        "housing_applications",
        ["talent_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.create_table(
        "housing_units",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("unit_number", sa.String(length=40), nullable=False),
        sa.Column("layout", sa.String(length=40), server_default="", nullable=False),
        sa.Column("area_m2", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="available", nullable=False),
        sa.Column("occupant_talent_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["occupant_talent_id"], ["talents.id"], name=op.f("fk_housing_units_occupant_talent_id_talents")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["housing_projects.id"],
            name=op.f("fk_housing_units_project_id_housing_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_units")),
        sa.UniqueConstraint(
            "project_id", "unit_number", name=op.f("uq_housing_units_project_id_unit_number")
        ),
    )
    op.create_index(op.f("ix_housing_units_project_id"), "housing_units", ["project_id"], unique=False)
    op.create_table(
        "talent_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("talent_id", sa.UUID(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["talent_id"],
            ["talents.id"],
            name=op.f("fk_talent_history_talent_id_talents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_history")),
    )
    op.create_index(op.f("ix_talent_history_talent_id"), "talent_history", ["talent_id"], unique=False)
    op.create_table(
        "tickets",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_number", sa.String(length=24), nullable=False),
        sa.Column("access_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("requester_kind", sa.String(length=12), nullable=False),
        sa.Column("requester_name", sa.String(length=60), nullable=True),
        sa.Column("requester_phone_encrypted", sa.Text(), nullable=True),
        sa.Column("requester_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("talent_id", sa.UUID(), nullable=True),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=True),
        sa.Column("service_code", sa.String(length=60), nullable=True),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("officer", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name=op.f("ck_tickets_satisfaction_range")),
        sa.ForeignKeyConstraint(["talent_id"], ["talents.id"], name=op.f("fk_tickets_talent_id_talents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("ticket_number", name=op.f("uq_tickets_ticket_number")),
    )
    op.create_index("ix_tickets_department_status", "tickets", ["department", "status"], unique=False)
    op.create_index(op.f("ix_tickets_enterprise_uscc"), "tickets", ["enterprise_uscc"], unique=False)
    op.create_index(
        "ix_tickets_open_deadline",
        "tickets",
        ["deadline"],
        unique=False,
        postgresql_where=sa.text("replied_at IS NULL AND overdue_at IS NULL"),
    )
    op.create_index(op.f("ix_tickets_talent_id"), "tickets", ["talent_id"], unique=False)
    op.create_table(
        "housing_offers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["housing_applications.id"],
            name=op.f("fk_housing_offers_application_id_housing_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["housing_units.id"], name=op.f("fk_housing_offers_unit_id_housing_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_offers")),
    )
    op.create_index(
        op.f("ix_housing_offers_application_id"), "housing_offers", ["application_id"], unique=False
    )
    op.create_index(
        "uq_housing_offers_pending_application",
        "housing_offers",
        ["application_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_housing_offers_pending_unit",
        "housing_offers",
        ["unit_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "ticket_transitions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_transitions_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_transitions")),
    )
    op.create_index(
        op.f("ix_ticket_transitions_ticket_id"), "ticket_transitions", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_transitions_ticket_id"), table_name="ticket_transitions")
    op.drop_table("ticket_transitions")
    op.drop_index(
        "uq_housing_offers_pending_unit",
        table_name="housing_offers",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "uq_housing_offers_pending_application",
        table_name="housing_offers",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_housing_offers_application_id"), table_name="housing_offers")
    op.drop_table("housing_offers")
    op.drop_index(op.f("ix_tickets_talent_id"), table_name="tickets")
    op.drop_index(
        "ix_tickets_open_deadline",
        table_name="tickets",
        postgresql_where=sa.text("replied_at IS NULL AND overdue_at IS NULL"),
    )
    op.drop_index(op.f("ix_tickets_enterprise_uscc"), table_name="tickets")
    op.drop_index("ix_tickets_department_status", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(op.f("ix_talent_history_talent_id"), table_name="talent_history")
    op.drop_table("talent_history")
    op.drop_index(op.f("ix_housing_units_project_id"), table_name="housing_units")
    op.drop_table("housing_units")
    op.drop_index(
        "uq_housing_applications_live_talent",
        table_name="housing_applications",
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.drop_index("ix_housing_applications_queue", table_name="housing_applications")
    op.drop_table("housing_applications")
    op.drop_index(op.f("ix_talents_phone_index"), table_name="talents")
    op.drop_index(op.f("ix_talents_employer_id"), table_name="talents")
    op.drop_table("talents")
    op.drop_table("enterprise_qualifications")
    op.drop_table("enterprise_figures")
    op.drop_index(op.f("ix_enterprise_contacts_enterprise_id"), table_name="enterprise_contacts")
    op.drop_table("enterprise_contacts")
    op.drop_table("housing_projects")
    op.drop_index("ix_enterprises_district_chain", table_name="enterprises")
    op.drop_table("enterprises")
    op.execute("DROP SEQUENCE ticket_number_seq")
