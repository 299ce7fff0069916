"""The kit's group commit: items that arrive while a batch runs go together into the next one."""

from __future__ import annotations

import asyncio

import pytest
from kunruyi_common.batching import Batcher


async def test_items_arriving_during_a_batch_go_together_into_the_next_and_each_gets_its_answer() -> None:
    batches: list[list[int]] = []
    gate = asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            await gate.wait()  # the first batch is slow: everything else queues behind it
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(run, name="test", max_batch=3)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(2, 7)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10
    assert [await r for r in rest] == [20, 30, 40, 50, 60]
    assert batches == [[1], [2, 3, 4], [5, 6]]


async def test_a_failed_batch_fails_its_own_items_only() -> None:
    async def run(items: list[int]) -> list[int]:
        if 2 in items:
            raise RuntimeError("store down")
        return items

    batcher: Batcher[int, int] = Batcher(run, name="test", max_batch=1)
    ok, bad = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert ok == 1 and isinstance(bad, RuntimeError)
    assert await batcher.submit(3) == 3


async def test_drain_writes_everything_submitted_without_waiting() -> None:
    written: list[int] = []

    async def run(items: list[int]) -> list[None]:
        await asyncio.sleep(0.01)
        written.extend(items)
        return [None] * len(items)

    batcher: Batcher[int, None] = Batcher(run, name="test", max_batch=4)
    for i in range(10):
        batcher.submit_nowait(i)
    await batcher.drain()
    assert written == list(range(10)) and batcher.waiting == 0


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_no_more_batches_run_at_once_than_allowed(in_flight: int) -> None:
    running = 0
    most = 0

    async def run(items: list[int]) -> list[int]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return items

    batcher: Batcher[int, int] = Batcher(run, name="test", max_batch=2, max_in_flight=in_flight)
    assert await asyncio.gather(*(batcher.submit(i) for i in range(20))) == list(range(20))
    assert most == in_flight


async def test_an_item_added_just_as_the_last_batch_ends_still_gets_a_batch() -> None:
    """The moment between a batch task's last look at the queue and its done callback: an item added then must
    start a batch of its own, not wait for one that nobody starts (a partner's signed request hung that way)."""
    batches: list[list[int]] = []
    batchers: list[Batcher[int, int]] = []

    async def run(items: list[int]) -> list[int]:
        batches.append(items)
        if items == [1]:
            # Runs once this batch task has ended its last step, before the loop calls its done callbacks.
            asyncio.get_running_loop().call_soon(batchers[0].submit_nowait, 2)
        return items

    batchers.append(Batcher(run, name="test"))
    assert await batchers[0].submit(1) == 1
    for _ in range(20):
        await asyncio.sleep(0)
    assert batches == [[1], [2]]
