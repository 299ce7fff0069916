"""Queries of the hash-chained audit log, over the Core tables of ``kunruyi_disbursement.tables``.

The appender runs at commit on the unit of work's sync connection (``Connection``); the readers are async."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import audit_chain_head, audit_log

h = audit_chain_head.c
log = audit_log.c


def lock_head(conn: Connection) -> Any:
    """The chain's tip (last_seq, last_hash), locked until commit: appenders chain in commit order without forks."""
    return conn.execute(select(h.last_seq, h.last_hash).where(h.id == 1).with_for_update()).one()


# Kept as SQL: the entries (any number, as arrays through ``unnest``: a fixed number of parameters) and the new tip
# are written in one statement, so the log and its head never disagree.
APPEND = text(
    "WITH e AS (INSERT INTO audit_log (seq, occurred_at, actor, action, entity_type, entity_id, data, "
    "prev_hash, hash) SELECT s, at, a, act, et, eid, CAST(d AS jsonb), p, h FROM unnest("
    "CAST(:seq AS bigint[]), CAST(:at AS timestamptz[]), CAST(:actor AS text[]), CAST(:action AS text[]), "
    "CAST(:et AS text[]), CAST(:eid AS text[]), CAST(:data AS text[]), CAST(:prev AS text[]), "
    "CAST(:hash AS text[])) AS t(s, at, a, act, et, eid, d, p, h)) "
    "UPDATE audit_chain_head SET last_seq = :last_seq, last_hash = :last_hash WHERE id = 1"
)


def append(conn: Connection, columns: dict[str, Any]) -> None:
    conn.execute(APPEND, columns)


async def entries_from(session: AsyncSession, seq: int, limit: int) -> Sequence[Any]:
    """Up to ``limit`` entries from ``seq`` on, in chain order."""
    statement = select(audit_log).where(log.seq >= seq).order_by(log.seq).limit(limit)
    return (await session.execute(statement)).all()


async def head(session: AsyncSession) -> Any:
    return (await session.execute(select(h.last_seq, h.last_hash).where(h.id == 1))).one()


async def latest(
    session: AsyncSession, *, action: str | None, entity_type: str | None, entity_id: str | None, limit: int
) -> Sequence[Any]:
    """The newest entries, optionally of one action and/or about one entity."""
    statement = select(
        log.seq, log.occurred_at, log.actor, log.action, log.entity_type, log.entity_id, log.data
    )
    if action is not None:
        statement = statement.where(log.action == action)
    if entity_type is not None:
        statement = statement.where(log.entity_type == entity_type)
    if entity_id is not None:
        statement = statement.where(log.entity_id == entity_id)
    return (await session.execute(statement.order_by(log.seq.desc()).limit(limit))).all()
