"""A company's need heard at an activity and converted by the host officer in svc-talent becomes a technology demand
here, through the real bus and lifespan: filed on the ``activity`` channel, pending review, one per lead whatever the
redeliveries, its ``demand.submitted`` carrying the lead's id back; a lead converted into a ticket files nothing."""

import asyncio
import random
import uuid
from typing import Any

import nats
import pytest
from kunruyi_common.app import create_service_app
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database
from kunruyi_matching.demand.consumers import LEAD_CONVERTED
from kunruyi_matching.main import build_spec
from kunruyi_matching.settings import Settings
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture(scope="session")
def leads_db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_leads")


async def publish(nats_url: str, data: dict[str, Any]) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_name("talent"), stream_subjects("talent"))
        event = CloudEvent(source="talent", type=LEAD_CONVERTED, subject=str(data["lead_id"]), data=data)
        await js.publish(LEAD_CONVERTED, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


def converted(lead_id: str, to: str, uscc: str) -> dict[str, Any]:
    """svc-talent's ``activity_lead.converted`` as it publishes it."""
    return {
        "lead_id": lead_id,
        "activity_id": str(uuid.uuid4()),
        "activity_kind": "聚链融创",
        "to": to,
        "enterprise_uscc": uscc,
        "talent_id": None,
        "ticket_number": "KS20261205000001" if to == "ticket" else None,
        "title": "晶圆级封装翘曲控制",
        "description": "聚链融创「集成电路对接会」现场线索：晶圆级封装翘曲控制，联系 139****5678",
        "industry_chain": "semiconductor" if to == "demand" else None,
        "technical_field": "advanced_packaging" if to == "demand" else None,
        "demand_type": "技术攻关" if to == "demand" else None,
    }


async def test_a_converted_lead_becomes_one_demand(leads_db_url: str, infra: Infra) -> None:
    uscc = make_uscc(random.Random(4711))
    settings = Settings(database_url=leads_db_url, nats_url=infra.nats_url, run_background_workers=True)
    app = create_service_app(build_spec(), settings)
    engine = create_async_engine(leads_db_url)
    lead, ticket_lead = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with app.router.lifespan_context(app):
            await publish(infra.nats_url, converted(ticket_lead, "ticket", uscc))
            await publish(infra.nats_url, converted(lead, "demand", uscc))
            await publish(infra.nats_url, converted(lead, "demand", uscc))  # the same lead again
            rows: list[Any] = []
            for _ in range(150):
                async with engine.connect() as conn:
                    rows = list(
                        (
                            await conn.execute(
                                text(
                                    "SELECT lead_id, channel, status, visibility, enterprise_uscc, title "
                                    "FROM demands WHERE lead_id IN (:a, :b)"
                                ),
                                {"a": lead, "b": ticket_lead},
                            )
                        ).all()
                    )
                    inbox = (
                        await conn.execute(
                            text("SELECT count(*) FROM inbox_events WHERE consumer LIKE '%activity-leads%'")
                        )
                    ).scalar_one()
                if rows and inbox >= 3:
                    break
                await asyncio.sleep(0.1)
        assert [tuple(r) for r in rows] == [
            (lead, "activity", "pending_review", "brokers", uscc, "晶圆级封装翘曲控制")
        ]
        async with engine.connect() as conn:
            envelope = (
                await conn.execute(
                    text(
                        "SELECT envelope::text FROM outbox_events "
                        "WHERE envelope->>'type' = 'kunruyi.matching.demand.submitted'"
                    )
                )
            ).scalar_one()
        assert lead in envelope
    finally:
        await engine.dispose()
