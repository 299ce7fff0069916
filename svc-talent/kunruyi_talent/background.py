"""Periodic work inside the app: flag overdue tickets; lapse expired housing offers and offer vacant units.

Both are the kit's periodic tasks: exclusive, so each runs once per interval across replicas (the kit's
``periodic_runs`` row), in the task's transaction. ``python -m kunruyi_talent scan`` runs both once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import FastAPI
from kunruyi_common.clock import local_date
from kunruyi_common.context import app_settings
from kunruyi_common.periodic import start_periodic
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_talent.housing import service as housing_service
from kunruyi_talent.servicedesk import service as desk_service
from kunruyi_talent.settings import Settings

logger = logging.getLogger("kunruyi.talent.background")


async def flag_overdue_tickets(session: AsyncSession) -> int:
    now = datetime.now(UTC)
    flagged = len(await desk_service.flag_overdue(session, local_date(now), now=now))
    if flagged:
        logger.info("overdue tickets flagged: %d", flagged)
    return flagged


async def turn_over_housing_offers(session: AsyncSession) -> dict[str, int]:
    """Lapse offers past their deadline, then offer the units that are vacant (again) to the next in line."""
    settings = app_settings(Settings)
    now = datetime.now(UTC)
    lapsed = await housing_service.lapse_expired(session, settings.housing_offer_days, now)
    offered = await housing_service.offer_vacant_units(session, settings.housing_offer_days, now)
    result = {"lapsed": len(lapsed), "offered": offered}
    if any(result.values()):
        logger.info("housing offers: %s", result)
        return result
    return {}


async def run_once(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session, session.begin():
        overdue = await flag_overdue_tickets(session)
        housing = await turn_over_housing_offers(session)
    return {"overdue": overdue, "lapsed": housing.get("lapsed", 0), "offered": housing.get("offered", 0)}


async def start(app: FastAPI) -> None:
    interval = app.state.settings.overdue_scan_interval_s
    start_periodic(
        app, job="overdue-ticket-scan", tick=flag_overdue_tickets, interval_s=interval, first_delay_s=0
    )
    start_periodic(
        app, job="housing-offer-scan", tick=turn_over_housing_offers, interval_s=interval, first_delay_s=0
    )
