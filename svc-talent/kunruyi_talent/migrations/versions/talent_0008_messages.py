"""The people's message inbox (站内信), their SMS preferences, the SMS queue and delivery log, and the policy titles
messages name.

Revision ID: talent_0008
Revises: talent_0007
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "talent_0008"
down_revision: str | None = "talent_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("recipient_type", sa.String(12), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "recipient_type", "recipient_id", name="uq_messages_source_recipient"),
    )
    op.create_index(
        "ix_messages_recipient_created", "messages", ["recipient_type", "recipient_id", "created_at", "id"]
    )
    op.create_index(
        "ix_messages_recipient_unread",
        "messages",
        ["recipient_type", "recipient_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "message_policy_titles",
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "message_preferences",
        sa.Column("recipient_type", sa.String(12), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("sms_kinds", ARRAY(sa.String(40)), nullable=False),
        sa.Column("quiet_start", sa.SmallInteger(), nullable=True),
        sa.Column("quiet_end", sa.SmallInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("recipient_type", "recipient_id"),
    )
    op.create_table(
        "sms_deliveries",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("params", JSONB(), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("provider_message_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        "ix_sms_deliveries_due",
        "sms_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'queued'"),
    )
    op.create_index("ix_sms_deliveries_created", "sms_deliveries", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("sms_deliveries")
    op.drop_table("message_preferences")
    op.drop_table("message_policy_titles")
    op.drop_table("messages")
