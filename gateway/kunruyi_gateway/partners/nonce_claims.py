"""Partner nonces claimed in batches: one PostgreSQL statement for every claim waiting at that moment.

A signed request must claim its nonce (replay protection) and count itself in its key's rate window, both shared
by every replica and kept across restarts, so both live in PostgreSQL. One statement per request made the signed
path as fast as one database round trip; under concurrency the claims now go in together, like a group commit:
when no batch is running a claim starts one at once (no added wait at low load), and claims that arrive while
batches run wait for the next, which takes all of them (up to ``max_batch``). The guarantees do not change —
the primary key (app key, nonce) still decides who claimed first, in one statement, across replicas.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kunruyi_gateway.partners.metrics import NONCE_CLAIM_BATCH

# Claim every nonce of the batch; count the claimed ones per rate window (a window starts at its first request and
# lasts the rate's period); each claimed request gets its own place in its window, in arrival order. A request
# without a row back was a replay. ON CONFLICT may touch a row once per statement, so the caller sends each
# (app key, nonce) and each window's rate period once.
_CLAIM_BATCH = text(
    "WITH input AS ("
    " SELECT * FROM unnest(CAST(:k AS text[]), CAST(:n AS text[]), CAST(:e AS timestamptz[]),"
    " CAST(:b AS text[]), CAST(:p AS float8[])) WITH ORDINALITY AS t(app_key, nonce, expires_at, bucket, period, ord)"
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


@dataclass(frozen=True)
class Claimed:
    """A claimed nonce: this request's place in its key's rate window, and when that window ends."""

    hits: int
    window_ends_at: datetime


@dataclass
class _Claim:
    app_key: str
    nonce: str
    expires_at: datetime
    bucket: str
    period_s: float
    answer: asyncio.Future[Claimed | None] = field(repr=False)


class NonceClaims:
    """Claims nonces for the signature verifier, batched while earlier batches are in flight."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = 256, max_in_flight: int = 2) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._waiting: list[_Claim] = []
        self._running: set[asyncio.Task[None]] = set()

    async def claim(
        self, *, app_key: str, nonce: str, expires_at: datetime, bucket: str, period_s: float
    ) -> Claimed | None:
        """Claim ``nonce`` for ``app_key`` and count the request in ``bucket``; None when it was already used."""
        if any(c.app_key == app_key and c.nonce == nonce for c in self._waiting):
            return None  # the same nonce twice at once: the first one in line claims it
        answer: asyncio.Future[Claimed | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Claim(app_key, nonce, expires_at, bucket, period_s, answer))
        if len(self._running) < self.max_in_flight:
            task = asyncio.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await answer

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            await self._run(batch)

    async def _run(self, batch: list[_Claim]) -> None:
        NONCE_CLAIM_BATCH.observe(len(batch))
        try:
            async with self.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                rows = (
                    await auto.execute(
                        _CLAIM_BATCH,
                        {
                            "k": [c.app_key for c in batch],
                            "n": [c.nonce for c in batch],
                            "e": [c.expires_at for c in batch],
                            "b": [c.bucket for c in batch],
                            "p": [c.period_s for c in batch],
                        },
                    )
                ).all()
        except Exception as exc:  # every waiting request learns the store failed; the drain goes on
            for c in batch:
                if not c.answer.done():
                    c.answer.set_exception(exc)
            return
        claimed = {int(ord_): Claimed(int(hits), ends) for ord_, hits, ends in rows}
        for position, c in enumerate(batch, start=1):
            if not c.answer.done():  # a caller that went away has cancelled its answer
                c.answer.set_result(claimed.get(position))
