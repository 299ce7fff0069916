"""Partner nonces claimed in batches: one PostgreSQL statement for every claim waiting at that moment.

A signed request must claim its nonce (replay protection) and count itself in its key's rate window, both shared
by every replica and kept across restarts, so both live in PostgreSQL. One statement per request made the signed
path as fast as one database round trip; under concurrency the claims now go in together, like a group commit:
when no batch is running a claim starts one at once (no added wait at low load), and claims that arrive while
batches run wait for the next, which takes all of them (up to ``max_batch``). The guarantees do not change —
the primary key (app key, nonce) still decides who claimed first, in one statement, across replicas. The
batching is the kit's group commit (``kunruyi_common.batching``).

A connection that has just run a batch is kept for the next one for up to a second: taken from the pool, a
connection is first checked with a round trip of its own (BEGIN, ROLLBACK: the pool's pre-ping), which would make
every batch three round trips instead of one. A connection that fails is closed (the pool replaces it) and its
batch fails as before; one idle for longer than that goes back to the pool.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

from kunruyi_common.batching import Batcher
from kunruyi_common.db.driver import fetch_on_driver
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kunruyi_gateway.partners.metrics import NONCE_CLAIM_BATCH

# Claim every nonce of the batch; count the claimed ones per rate window (a window starts at its first request and
# lasts the rate's period); each claimed request gets its own place in its window, in arrival order. A request
# without a row back was a replay. ON CONFLICT may touch a row once per statement, so the caller sends each
# (app key, nonce) and each window's rate period once.
# It goes straight to asyncpg (:func:`fetch_on_driver`; the figures are in bench/gateway/RESULTS.md).
_CLAIM_SQL = (
    "WITH input AS ("
    " SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS timestamptz[]),"
    " CAST($4 AS text[]), CAST($5 AS float8[])) WITH ORDINALITY AS t(app_key, nonce, expires_at, bucket, period, ord)"
    "), claim AS ("
    " INSERT INTO partner_nonces (app_key, nonce, expires_at) SELECT app_key, nonce, expires_at FROM input"
    " ON CONFLICT (app_key, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at"
    " WHERE partner_nonces.expires_at < now() RETURNING app_key, nonce"
    "), claimed AS ("
    " SELECT i.ord, i.bucket, i.period,"
    " row_number() OVER (PARTITION BY i.bucket ORDER BY i.ord) AS place,"
    " count(*) OVER (PARTITION BY i.bucket) AS taken"
    " FROM claim c JOIN input i ON i.app_key = c.app_key AND i.nonce = c.nonce"
    "), hit AS ("
    " INSERT INTO partner_rate_windows (bucket, hits, expires_at)"
    " SELECT bucket, max(taken), now() + make_interval(secs => max(period)) FROM claimed GROUP BY bucket"
    " ON CONFLICT (bucket) DO UPDATE SET"
    " hits = CASE WHEN partner_rate_windows.expires_at <= now() THEN EXCLUDED.hits"
    " ELSE partner_rate_windows.hits + EXCLUDED.hits END,"
    " expires_at = CASE WHEN partner_rate_windows.expires_at <= now() THEN EXCLUDED.expires_at"
    " ELSE partner_rate_windows.expires_at END"
    " RETURNING bucket, hits, expires_at"
    ") SELECT c.ord, h.hits - c.taken + c.place, h.expires_at FROM claimed c JOIN hit h ON h.bucket = c.bucket"
)

# How long a connection that ran a batch is kept for the next one.
_KEEP_S = 1.0


@dataclass(frozen=True)
class Claimed:
    """A claimed nonce: this request's place in its key's rate window, and when that window ends."""

    hits: int
    window_ends_at: datetime


@dataclass(frozen=True)
class _Claim:
    app_key: str
    nonce: str
    expires_at: datetime
    bucket: str
    period_s: float


class NonceClaims:
    """Claims nonces for the signature verifier, batched while earlier batches are in flight."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = 256, max_in_flight: int = 2) -> None:
        self.engine = engine
        self._batcher: Batcher[_Claim, Claimed | None] = Batcher(
            self._run, name="nonce-claims", max_batch=max_batch, max_in_flight=max_in_flight
        )
        self._claiming: set[tuple[str, str]] = set()
        # Connections that ran a batch, with when they finished it (see the module's docstring).
        self._idle: list[tuple[float, AsyncConnection]] = []
        self._expiry: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def claim(
        self, *, app_key: str, nonce: str, expires_at: datetime, bucket: str, period_s: float
    ) -> Claimed | None:
        """Claim ``nonce`` for ``app_key`` and count the request in ``bucket``; None when it was already used."""
        key = (app_key, nonce)
        if key in self._claiming:
            return None  # the same nonce twice at once: the first one claims it, the other is a replay
        self._claiming.add(key)
        try:
            return await self._batcher.submit(_Claim(app_key, nonce, expires_at, bucket, period_s))
        finally:
            self._claiming.discard(key)

    async def _connection(self) -> AsyncConnection:
        now = time.monotonic()
        while self._idle:
            used_at, conn = self._idle.pop()
            if now - used_at < _KEEP_S and not conn.closed and not conn.invalidated:
                return conn
            await conn.close()
        conn = await self.engine.connect()
        return await conn.execution_options(isolation_level="AUTOCOMMIT")

    def _keep(self, conn: AsyncConnection) -> None:
        self._idle.append((time.monotonic(), conn))
        if self._expiry is None:
            self._expiry = asyncio.get_running_loop().call_later(_KEEP_S, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        now = time.monotonic()
        stale = [conn for used_at, conn in self._idle if now - used_at >= _KEEP_S]
        self._idle = [(used_at, conn) for used_at, conn in self._idle if now - used_at < _KEEP_S]
        for conn in stale:
            task = asyncio.get_running_loop().create_task(conn.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if self._idle:
            self._expiry = asyncio.get_running_loop().call_later(_KEEP_S, self._expire)

    async def close(self) -> None:
        """Give the kept connections back to the pool (at shutdown)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        idle, self._idle = self._idle, []
        for _, conn in idle:
            await conn.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _run(self, batch: list[_Claim]) -> list[Claimed | None]:
        NONCE_CLAIM_BATCH.observe(len(batch))
        conn = await self._connection()
        try:
            rows = await fetch_on_driver(
                conn,
                _CLAIM_SQL,
                [c.app_key for c in batch],
                [c.nonce for c in batch],
                [c.expires_at for c in batch],
                [c.bucket for c in batch],
                [c.period_s for c in batch],
            )
        except BaseException:
            await asyncio.shield(conn.close())
            raise
        self._keep(conn)
        claimed = {int(ord_): Claimed(int(hits), ends) for ord_, hits, ends in rows}
        return [claimed.get(position) for position in range(1, len(batch) + 1)]
