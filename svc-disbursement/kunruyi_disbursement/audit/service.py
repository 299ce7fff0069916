"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the canonical JSON of its content and the previous entry's hash, so altering or
removing any entry breaks every later link. Entries are appended in the transaction of the step they record; the
chain's tip is a single locked row, so concurrent appenders line up in commit order and the chain never forks.
Append last in a unit of work: the tip stays locked until commit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

GENESIS_HASH = "0" * 64


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
) -> int:
    head = (
        await session.execute(
            text("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
        )
    ).one()
    seq = int(head.last_seq) + 1
    now = datetime.now(UTC)
    occurred_at = now.isoformat()
    data = json.loads(canonical_json(data))
    digest = entry_hash(head.last_hash, seq, occurred_at, actor, action, entity_type, entity_id, data)
    await session.execute(
        text(
            "WITH e AS (INSERT INTO audit_log (seq, occurred_at, actor, action, entity_type, entity_id, data, "
            "prev_hash, hash) VALUES (:seq, :at, :actor, :action, :et, :eid, CAST(:data AS jsonb), "
            ":prev, :hash)) UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"
        ),
        {
            "seq": seq,
            "at": now,
            "actor": actor,
            "action": action,
            "et": entity_type,
            "eid": entity_id,
            "data": canonical_json(data),
            "prev": head.last_hash,
            "hash": digest,
        },
    )
    return seq


async def verify(session: AsyncSession, *, batch: int = 5000) -> dict[str, Any]:
    """Walk the chain from the start; report the first broken link (altered, removed or reordered entry)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    problems: list[dict[str, Any]] = []
    while True:
        rows = (
            await session.execute(
                text(
                    "SELECT seq, occurred_at, actor, action, entity_type, entity_id, data, prev_hash, hash "
                    "FROM audit_log WHERE seq >= :s ORDER BY seq LIMIT :n"
                ),
                {"s": expected_seq, "n": batch},
            )
        ).all()
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
    head = (
        await session.execute(text("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1"))
    ).one()
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


async def append_many(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Append several entries (``actor, action, entity_type, entity_id, data`` each) under one lock of the tip."""
    if not entries:
        return
    head = (
        await session.execute(
            text("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
        )
    ).one()
    seq, prev = int(head.last_seq), str(head.last_hash)
    now = datetime.now(UTC)
    occurred_at = now.isoformat()
    cols: dict[str, list[Any]] = {
        k: [] for k in ("seq", "actor", "action", "et", "eid", "data", "prev", "hash")
    }
    for entry in entries:
        seq += 1
        data = json.loads(canonical_json(entry["data"]))
        digest = entry_hash(
            prev,
            seq,
            occurred_at,
            entry["actor"],
            entry["action"],
            entry["entity_type"],
            entry["entity_id"],
            data,
        )
        for key, value in zip(
            cols,
            (
                seq,
                entry["actor"],
                entry["action"],
                entry["entity_type"],
                entry["entity_id"],
                canonical_json(data),
                prev,
                digest,
            ),
            strict=True,
        ):
            cols[key].append(value)
        prev = digest
    await session.execute(
        text(
            "INSERT INTO audit_log (seq, occurred_at, actor, action, entity_type, entity_id, data, prev_hash, hash) "
            "SELECT s, :at, a, act, et, eid, CAST(d AS jsonb), p, h FROM unnest(CAST(:seq AS bigint[]), "
            "CAST(:actor AS text[]), CAST(:action AS text[]), CAST(:et AS text[]), CAST(:eid AS text[]), "
            "CAST(:data AS text[]), CAST(:prev AS text[]), CAST(:hash AS text[])) AS t(s, a, act, et, eid, d, p, h)"
        ),
        {"at": now, **cols},
    )
    await session.execute(
        text("UPDATE audit_chain_head SET last_seq = :s, last_hash = :h WHERE id = 1"), {"s": seq, "h": prev}
    )


async def entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    rows = (
        (
            await session.execute(
                text(
                    "SELECT seq, occurred_at, actor, action, entity_type, entity_id, data FROM audit_log "
                    "WHERE (CAST(:a AS text) IS NULL OR action = :a) AND (CAST(:t AS text) IS NULL OR entity_type = :t) "
                    "AND (CAST(:i AS text) IS NULL OR entity_id = :i) ORDER BY seq DESC LIMIT :n"
                ),
                {"a": action, "t": entity_type, "i": entity_id, "n": limit},
            )
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]
