"""Background tasks a service runs beside its requests (relays, consumers, workers, schedulers)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task and wait for it to end. Whatever it raises on the way out is dropped: it is
    stopping because the app is, and a failure there must not keep the app from shutting down."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
