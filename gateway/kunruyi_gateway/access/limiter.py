"""Rate limits with the `limits` library: per staff user and per client address.

Storage comes from ``rate_limit_storage_uri``: ``memory://`` keeps counters in the replica (fine for one);
``redis://…`` or ``memcached://…`` share them between replicas. Partner keys are not counted here: their rate is
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


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        self.storage = storage_from_string(_async_uri(storage_uri))
        self.strategy = FixedWindowRateLimiter(self.storage)

    async def hit(self, rate: str, *identifiers: str) -> None:
        item = parse_rate(rate)
        if await self.strategy.hit(item, *identifiers):
            return
        stats = await self.strategy.get_window_stats(item, *identifiers)
        raise rate_limited(rate, max(1, math.ceil(stats.reset_time - time.time())))
