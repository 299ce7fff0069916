"""Rate limits with the `limits` library: per app key (its own rate), per staff user, per client address.

Storage comes from ``rate_limit_storage_uri``: ``memory://`` keeps counters in the replica (fine for one);
``redis://…`` or ``memcached://…`` share them between replicas.
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
def _parse(rate: str) -> limits.RateLimitItem:
    return limits.parse(rate)


def _async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        self.storage = storage_from_string(_async_uri(storage_uri))
        self.strategy = FixedWindowRateLimiter(self.storage)

    async def hit(self, rate: str, *identifiers: str) -> None:
        item = _parse(rate)
        if await self.strategy.hit(item, *identifiers):
            return
        stats = await self.strategy.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            f"请求过于频繁（上限 {rate}），请 {retry_after} 秒后重试",
            code="rate_limited",
            headers={"Retry-After": str(retry_after)},
            limit=rate,
        )
