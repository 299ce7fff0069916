"""Scans of 昆e服 codes recorded off the response path.

Every scan adds to its code's count and publishes ``service_code.scanned`` through the outbox. The page no longer
waits for that transaction: scans go to the kit's group commit (``kunruyi_common.batching``) and are written
together — one transaction for the scans of the moment, the outbox relay woken after it. What this trades: a
replica killed outright loses the scans of the batch it had not written yet (a fraction of a second of a
statistics counter; never money or a person's record). A clean shutdown writes them all first.
"""

from __future__ import annotations

from collections.abc import Callable

from kunruyi_common.batching import Batcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.service_codes import service
from kunruyi_gateway.service_codes.models import ServiceCode


class ScanRecorder:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], after_commit: Callable[[], object]
    ) -> None:
        self.sessionmaker = sessionmaker
        self.after_commit = after_commit
        self._batcher: Batcher[service.Scan, None] = Batcher(self._write, name="qr-scans", max_batch=500)

    def record(self, code: ServiceCode) -> None:
        service.SCANS.labels(code.kind).inc()
        self._batcher.submit_nowait(service.Scan(code.id, code.kind, code.target, code.name))

    async def _write(self, scans: list[service.Scan]) -> list[None]:
        async with self.sessionmaker() as session, session.begin():
            await service.record_scans(session, scans)
        self.after_commit()
        return [None] * len(scans)

    async def close(self) -> None:
        """Write every scan recorded so far (at shutdown)."""
        await self._batcher.drain()
