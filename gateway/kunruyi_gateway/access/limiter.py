"""Rate limits with the `limits` library: per staff user and per client address.

Storage comes from ``rate_limit_storage_uri``: ``memory://`` keeps counters in the replica (fine for one);
``redis://…`` or ``memcached://…`` share them between replicas. In memory the windows are the gateway's own dict
(:class:`MemoryWindows`: what `limits`' memory storage does for a fixed window, without its per-hit lock, key
formatting and expiry task — it was a tenth of a proxied call's time). Partner keys are not counted here: their rate is
part of the partner contract, so it is counted in PostgreSQL by the signature verifier (shared by every replica).
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

import limits
from kunruyi_common.errors import TooManyRequests
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string


@lru_cache(maxsize=256)
def parse_rate(rate: str) -> limits.RateLimitItem:
    return limits.parse(rate)


def rate_limited(rate: str, retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        f"请求过于频繁（上限 {rate}），请 {retry_after} 秒后重试",
        headers={"Retry-After": str(retry_after)},
        limit=rate,
    )


def _async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class MemoryWindows:
    """Fixed windows in this process, as `limits` keeps them in memory: a key's window starts at its first hit and
    lasts the rate's period; every hit counts, the ones over the limit too; a hit is allowed while the count is
    within the limit."""

    def __init__(self, sweep_above: int = 10_000) -> None:
        # (amount, period, identifiers) → [hits, window end (epoch seconds)]
        self._windows: dict[tuple[int, int, tuple[str, ...]], list[float]] = {}
        self._sweep_above = sweep_above

    def hit(self, item: limits.RateLimitItem, identifiers: tuple[str, ...]) -> tuple[bool, float]:
        """Count one hit; (allowed, when the window ends)."""
        now = time.time()
        key = (item.amount, item.get_expiry(), identifiers)
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            if window is None and len(self._windows) >= self._sweep_above:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = [0, now + item.get_expiry()]
            self._windows[key] = window
        window[0] += 1
        return window[0] <= item.amount, window[1]


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        self.memory = MemoryWindows() if storage_uri.strip() == "memory://" else None
        self.storage = storage_from_string(_async_uri(storage_uri))
        self.strategy = FixedWindowRateLimiter(self.storage)

    async def hit(self, rate: str, *identifiers: str) -> None:
        item = parse_rate(rate)
        if self.memory is not None:
            allowed, ends = self.memory.hit(item, identifiers)
            if allowed:
                return
            raise rate_limited(rate, max(1, math.ceil(ends - time.time())))
        if await self.strategy.hit(item, *identifiers):
            return
        stats = await self.strategy.get_window_stats(item, *identifiers)
        raise rate_limited(rate, max(1, math.ceil(stats.reset_time - time.time())))
