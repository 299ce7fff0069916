"""The outbox and inbox tables, added to each service's metadata so its alembic history owns them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox_events",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("id", UUID(as_uuid=False), nullable=False, unique=True),
        Column("type", String(200), nullable=False),
        Column("subject", String(200), nullable=True),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        # Unpublished rows are found by this partial index, so the relay's scan stays small however big the table.
        extend_existing=True,
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox_events",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(120), primary_key=True),
        Column("type", String(200), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        extend_existing=True,
    )


def event_tables(metadata: MetaData) -> tuple[Table, Table]:
    outbox = outbox_table(metadata)
    inbox = inbox_table(metadata)
    Index("ix_outbox_events_unpublished", outbox.c.seq, postgresql_where=outbox.c.published_at.is_(None))
    return outbox, inbox
