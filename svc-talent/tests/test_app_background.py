"""The running app: its periodic task flags an overdue ticket and the outbox relay puts the event on NATS."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from kunruyi_common.app import create_service_app
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_launcher.testing import migrated_database
from kunruyi_talent.main import build_spec
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk import service
from kunruyi_talent.servicedesk.schemas import TicketCreate
from kunruyi_talent.settings import Settings
from sqlalchemy import text


async def test_periodic_scan_publishes_overdue_event(infra) -> None:  # type: ignore[no-untyped-def]
    url = await asyncio.to_thread(migrated_database, infra, "kunruyi_talent", "talent_bus")
    settings = Settings(
        database_url=url,
        nats_url=infra.nats_url,
        run_background_workers=True,
        overdue_scan_interval_s=0.1,
        outbox_poll_interval_s=0.1,
    )
    engine = create_engine(url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as s, s.begin():
            ticket, _ = await service.submit(
                s,
                settings,
                PersonalData(settings.pii_key, settings.blind_index_key),
                TicketCreate(type="出入境", title="护照加急", channel="phone", requester_phone="13600000000"),  # type: ignore[arg-type]
                None,
                now=datetime.now(UTC) - timedelta(days=30),
            )
        app = create_service_app(build_spec(), settings)
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            await app.state.bus.wait_connected()
            published = None
            for _ in range(200):  # the scan and the relay run on their own; wait for them, up to 20 s
                async with engine.connect() as conn:
                    published = (
                        await conn.execute(
                            text(
                                "SELECT published_at FROM outbox_events WHERE type = 'kunruyi.talent.ticket.overdue'"
                            )
                        )
                    ).scalar_one_or_none()
                if published is not None:
                    break
                await asyncio.sleep(0.1)
            assert published is not None
            msg = await app.state.bus.js.get_last_msg("KUNRUYI_TALENT", "kunruyi.talent.ticket.overdue")
        envelope = json.loads(msg.data)
        assert envelope["type"] == "kunruyi.talent.ticket.overdue"
        assert envelope["data"]["ticket_number"] == ticket.ticket_number
        assert envelope["data"]["department"] == "公安局"
    finally:
        await engine.dispose()
