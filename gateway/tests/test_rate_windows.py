"""The gateway's in-memory rate windows count like `limits`' memory storage (the fixed-window strategy it
replaced): the same hits allowed and refused, the window ending at the same time, per identifier."""

from __future__ import annotations

import time

import pytest
from kunruyi_common.errors import ProblemError
from kunruyi_gateway.access.limiter import MemoryWindows, RateLimiter, parse_rate
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter


async def test_memory_windows_allow_and_refuse_what_limits_does() -> None:
    item = parse_rate("3/minute")
    ours = MemoryWindows()
    theirs = FixedWindowRateLimiter(MemoryStorage())
    started = time.time()
    for who in ["a", "a", "b", "a", "a", "b", "b", "b", "a"]:
        allowed, ends = ours.hit(item, ("public", who))
        assert allowed == await theirs.hit(item, "public", who)
        stats = await theirs.get_window_stats(item, "public", who)
        assert abs(ends - stats.reset_time) < 0.5
        assert started + 59 < ends <= time.time() + 60


def test_a_window_starts_again_after_its_period() -> None:
    item = parse_rate("1/second")
    windows = MemoryWindows()
    assert windows.hit(item, ("x",))[0] is True
    assert windows.hit(item, ("x",))[0] is False
    time.sleep(1.05)
    assert windows.hit(item, ("x",))[0] is True


async def test_over_the_rate_is_429_with_retry_after() -> None:
    limiter = RateLimiter("memory://")
    await limiter.hit("1/minute", "public", "10.0.0.1")
    await limiter.hit("1/minute", "public", "10.0.0.2")
    with pytest.raises(ProblemError) as refused:
        await limiter.hit("1/minute", "public", "10.0.0.1")
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert 1 <= int((refused.value.headers or {})["Retry-After"]) <= 60
