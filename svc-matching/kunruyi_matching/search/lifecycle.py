"""The index's life in the app: built from the database at start-up, refreshed from changed rows every second,
merged in a worker thread when the delta is due, and built per request when the app runs without its lifespan.

The refresher reads committed rows only, so a consumer transaction that rolls back never reaches the index (no
ghosts). It re-reads rows whose ``updated_at`` falls within an overlap window before the last look, because
``now()`` is the transaction's start time and a slow transaction commits after later ones; versions make the
re-read harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from kunruyi_common.db import SessionDep
from kunruyi_common.periodic import PeriodicTask
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_matching.search.index import IndexDoc, SupplyIndex
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.service import stream_index_docs
from kunruyi_matching.taxonomy import SUPPLY_KINDS

logger = logging.getLogger("kunruyi.matching.index")
OVERLAP = timedelta(seconds=10)


async def build_index(session: AsyncSession) -> SupplyIndex:
    docs: list[IndexDoc] = [d async for d in stream_index_docs(session)]
    return await asyncio.to_thread(SupplyIndex.build, SUPPLY_KINDS, docs)


async def refresh_once(index: SupplyIndex, session: AsyncSession, since: datetime | None) -> int:
    changed = 0
    async for doc in stream_index_docs(session, changed_since=since):
        changed += index.upsert(doc)
    return changed


class IndexKeeper:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.index = SupplyIndex(SUPPLY_KINDS)
        self._since: datetime | None = None

    async def build(self) -> None:
        started = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            self.index = await build_index(session)
        self._since = started - OVERLAP
        logger.info("supply index built", extra={"stats": self.index.stats()})

    async def tick(self) -> int:
        looked = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            changed = await refresh_once(self.index, session, self._since)
        self._since = looked - OVERLAP
        for kind_index in self.index.due_for_merge(
            self.settings.index_merge_threshold, self.settings.index_merge_interval_s
        ):
            merged = await asyncio.to_thread(kind_index.merge)
            logger.info("merged %d delta documents into the %s index", merged, kind_index.kind)
        return changed

    async def refresh_tick(self, _session: AsyncSession) -> int:
        # The index lives in this process: the refresh reads in sessions of its own, on every replica.
        return await self.tick()


async def start_index(app: FastAPI) -> None:
    """Build the index, then refresh it periodically — in every replica (``exclusive=False``: each process has
    its own index), and also when the app runs without background workers (requests read this index)."""
    settings: Settings = app.state.settings
    keeper = IndexKeeper(app.state.sessionmaker, settings)
    await keeper.build()
    app.state.index_keeper = keeper
    refresher = PeriodicTask(
        service=app.state.spec.name,
        job="index-refresh",
        sessionmaker=app.state.sessionmaker,
        tick=keeper.refresh_tick,
        interval_s=settings.index_refresh_interval_s,
        exclusive=False,
        settings=settings,
    )
    app.state.periodic_tasks.append(refresher)
    refresher.start()


async def current_index(request: Request, session: SessionDep) -> SupplyIndex:
    keeper: IndexKeeper | None = getattr(request.app.state, "index_keeper", None)
    if keeper is not None:
        return keeper.index
    # No lifespan (tests, scripts): a throw-away index over what this session can see.
    return await build_index(session)


IndexDep = Annotated[SupplyIndex, Depends(current_index)]
