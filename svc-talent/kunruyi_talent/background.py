"""Periodic work inside the app: flag overdue tickets, lapse expired housing offers, fill vacant units."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from fastapi import FastAPI
from kunruyi_common.background import stop_task
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_talent.housing import service as housing_service
from kunruyi_talent.servicedesk import service as desk_service
from kunruyi_talent.servicedesk.routing import local_date
from kunruyi_talent.settings import Settings

logger = logging.getLogger("kunruyi.talent.background")


async def run_once(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> dict[str, int]:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        flagged = await desk_service.flag_overdue(session, local_date(now), now=now)
        lapsed = await housing_service.lapse_expired(session, settings.housing_offer_days, now)
        offered = await housing_service.offer_vacant_units(session, settings.housing_offer_days, now)
    return {"overdue": len(flagged), "lapsed": len(lapsed), "offered": offered}


async def _loop(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    while True:
        try:
            result = await run_once(app.state.sessionmaker, settings)
            if any(result.values()):
                logger.info("periodic scan: %s", result)
                app.state.relay.wake()
        except Exception:
            logger.exception("periodic scan failed")
        await asyncio.sleep(settings.overdue_scan_interval_s)


async def start(app: FastAPI) -> None:
    if app.state.settings.run_background_workers:
        app.state.talent_periodic = asyncio.create_task(_loop(app), name="talent-periodic-scan")


async def stop(app: FastAPI) -> None:
    await stop_task(getattr(app.state, "talent_periodic", None))
