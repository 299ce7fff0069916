"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the canonical JSON of its content and the previous entry's hash, so altering or
removing any entry breaks every later link. Entries are written in the transaction of the step they record; the
chain's tip is a single locked row, so concurrent appenders line up in commit order and the chain never forks.

:func:`append` only queues the entry on the session; the transaction's commit writes all its entries at once, just
before it commits (a ``before_commit`` listener). So the chain head is the LAST lock every transaction takes and is
held only for that final statement — a money path never waits for a payable account while holding the head, which
is what deadlocked top-ups against settlement callbacks (issue 14). A rolled-back savepoint drops what it queued.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from kunruyi_disbursement.audit import repository

GENESIS_HASH = "0" * 64
_QUEUE = "kry_audit_queue"
_MARKS = "kry_audit_savepoints"


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str,
    seq: int,
    occurred_at: str,
    actor: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
) -> str:
    content = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


async def append(
    session: AsyncSession,
    *,
    actor: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
) -> None:
    """Queue an entry for this unit of work; it is chained and written when the transaction commits."""
    await append_many(
        session,
        [
            {
                "actor": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "data": data,
            }
        ],
    )


async def append_many(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Queue several entries (``actor, action, entity_type, entity_id, data`` each), in this order."""
    if not entries:
        return
    now = datetime.now(UTC)
    queue: list[dict[str, Any]] = session.sync_session.info.setdefault(_QUEUE, [])
    for entry in entries:
        # A snapshot of the data as it is now: a caller changing its dict later changes nothing.
        queue.append({**entry, "data": json.loads(canonical_json(entry["data"])), "at": now})


async def flush(session: AsyncSession) -> int | None:
    """Write the queued entries now rather than at commit; returns the last one's ``seq`` (None: nothing queued).

    Takes the chain head at once and holds it until commit: only for units of work that lock nothing after."""
    return await session.run_sync(_write_queued)


def _write_queued(session: Session) -> int | None:
    entries: list[dict[str, Any]] | None = session.info.pop(_QUEUE, None)
    if not entries:
        return None
    conn = session.connection()
    head = repository.lock_head(conn)
    seq, prev = int(head.last_seq), str(head.last_hash)
    cols: dict[str, list[Any]] = {
        k: [] for k in ("seq", "at", "actor", "action", "et", "eid", "data", "prev", "hash")
    }
    for entry in entries:
        seq += 1
        at: datetime = entry["at"]
        digest = entry_hash(
            prev,
            seq,
            at.isoformat(),
            entry["actor"],
            entry["action"],
            entry["entity_type"],
            entry["entity_id"],
            entry["data"],
        )
        for key, value in zip(
            cols,
            (
                seq,
                at,
                entry["actor"],
                entry["action"],
                entry["entity_type"],
                entry["entity_id"],
                canonical_json(entry["data"]),
                prev,
                digest,
            ),
            strict=True,
        ):
            cols[key].append(value)
        prev = digest
    repository.append(conn, {**cols, "last_seq": seq, "last_hash": prev})
    return seq


# The queue lives on the (sync) session of the unit of work. Whatever a rolled-back savepoint queued is dropped with
# it; whatever the transaction queued is written by its commit, after everything else it did — so the chain head is
# always the last lock a money-moving transaction takes — or dropped by its rollback.


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint being released: the entries stay queued for the real commit
    _write_queued(session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks: dict[SessionTransaction, int] = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_QUEUE, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        queue = session.info.get(_QUEUE)
        if mark is not None and queue is not None:
            del queue[mark:]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
        session.info.pop(_MARKS, None)


async def verify(session: AsyncSession, *, batch: int = 5000) -> dict[str, Any]:
    """Walk the chain from the start; report the first broken link (altered, removed or reordered entry)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    problems: list[dict[str, Any]] = []
    while True:
        rows = await repository.entries_from(session, expected_seq, batch)
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                problems.append({"seq": expected_seq, "problem": "missing", "detail": f"下一条是 {row.seq}"})
                expected_seq = row.seq
            if row.prev_hash != prev_hash:
                problems.append({"seq": row.seq, "problem": "broken_link", "detail": "前一条哈希不符"})
            recomputed = entry_hash(
                row.prev_hash,
                row.seq,
                _iso(row.occurred_at),
                row.actor,
                row.action,
                row.entity_type,
                row.entity_id,
                row.data,
            )
            if recomputed != row.hash:
                problems.append({"seq": row.seq, "problem": "altered", "detail": "内容与哈希不符"})
            prev_hash = row.hash
            expected_seq = row.seq + 1
            checked += 1
        if problems:
            break
    head = await repository.head(session)
    if not problems and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        problems.append(
            {"seq": head.last_seq, "problem": "truncated", "detail": "链尾与记录不符（末尾条目被删除）"}
        )
    return {
        "ok": not problems,
        "entries_checked": checked,
        "last_seq": head.last_seq,
        "problems": problems[:20],
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


async def entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    departments: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The newest entries; with ``departments`` (a department's staff), only those about its records."""
    rows = await repository.latest(
        session,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        limit=limit,
        departments=departments,
    )
    return [dict(r._mapping) for r in rows]
