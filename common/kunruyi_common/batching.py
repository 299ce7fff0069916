"""Group commit for hot paths: work that arrives while a batch runs goes, together, into the next one.

A request that needs one small database statement of its own (claim a nonce, record a scan) costs a round trip —
and under load a pooled connection and a transaction — each. :class:`Batcher` gathers such items: when no batch
is running, an item starts one at once (no added wait at low load); items that arrive meanwhile wait for the
next batch, which takes all of them (up to ``max_batch``). The batch function sees the items in arrival order and
answers each one, so the guarantees stay those of the statement it runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)


@dataclass
class _Pending(Generic[T, R]):
    item: T
    answer: asyncio.Future[R] | None  # None: submitted without waiting for the answer


class Batcher(Generic[T, R]):
    """Runs ``run(items) -> answers`` (one answer per item, in order) over batches of submitted items."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        name: str,
        max_batch: int = 256,
        max_in_flight: int = 1,
    ) -> None:
        self._run = run
        self.name = name
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._waiting: list[_Pending[T, R]] = []
        self._running: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def submit(self, item: T) -> R:
        """Add ``item`` to the next batch and wait for its answer (the batch's exception when it failed)."""
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._add(_Pending(item, answer))
        return await answer

    def submit_nowait(self, item: T) -> None:
        """Add ``item`` to the next batch without waiting; a failed batch is logged."""
        self._add(_Pending(item, None))

    async def drain(self) -> None:
        """Wait until every item submitted so far has been through a batch (at shutdown)."""
        while self._waiting or self._running:
            if self._waiting and len(self._running) < self.max_in_flight:
                self._start()
            await asyncio.gather(*list(self._running), return_exceptions=True)

    def _add(self, pending: _Pending[T, R]) -> None:
        self._waiting.append(pending)
        if len(self._running) < self.max_in_flight:
            self._start()

    def _start(self) -> None:
        task = asyncio.create_task(self._drain(), name=f"batcher-{self.name}")
        self._running.add(task)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
                await self._one(batch)
        finally:
            # Leave the running set in the same step as the last look at the queue. Left to a done callback,
            # there is a moment when the task has ended but still counts as running: an item added then would
            # wait for a batch that nobody starts.
            self._running.discard(asyncio.current_task())

    async def _one(self, batch: list[_Pending[T, R]]) -> None:
        try:
            answers = await self._run([p.item for p in batch])
        except Exception as exc:
            if any(p.answer is None for p in batch):
                logger.exception(
                    "batch %s failed", self.name, extra={"batch": self.name, "items": len(batch)}
                )
            for p in batch:
                if p.answer is not None and not p.answer.done():
                    p.answer.set_exception(exc)
            return
        for p, answer in zip(batch, answers, strict=True):
            if p.answer is not None and not p.answer.done():  # a caller that went away cancelled its answer
                p.answer.set_result(answer)
