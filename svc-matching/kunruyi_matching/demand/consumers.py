"""Technology demands from svc-talent's activity leads: a company's need heard at an activity (路演, 聚链融创 …) and
converted by the host officer (``kunruyi.talent.activity_lead.converted`` with ``to: demand``) is filed here as a
demand on the ``activity`` channel, pending review like any other. One demand per lead (``demands.lead_id`` is
unique; the kit's inbox drops a redelivery first); its ``demand.submitted`` carries the lead id back to svc-talent.

The model below is this service's own view of the producer's payload (checked against svc-talent's registered
schema by the contract tests)."""

from __future__ import annotations

import logging

from kunruyi_common.auth import Principal
from kunruyi_common.context import app_settings
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.events import EventRejected
from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.demand import service
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import DemandCreate
from kunruyi_matching.settings import Settings

logger = logging.getLogger("kunruyi.matching.demand.leads")

LEAD_CONVERTED = "kunruyi.talent.activity_lead.converted"
# Who files a lead's demand: svc-talent's conversion, on the officer's behalf.
LEAD_SUBMITTER = Principal(kind="service", subject="talent-activity-lead")


class LeadConverted(BaseModel):
    lead_id: str
    activity_kind: str
    to: str
    enterprise_uscc: str | None
    title: str
    description: str
    industry_chain: str | None
    technical_field: str | None
    demand_type: str | None


async def on_lead_converted(session: AsyncSession, event: CloudEvent) -> None:
    data = LeadConverted.model_validate(event.data)
    if data.to != "demand":
        return  # a ticket: svc-talent's own desk
    if await session.scalar(select(Demand.id).where(Demand.lead_id == data.lead_id)) is not None:
        return
    try:
        body = DemandCreate(
            enterprise_uscc=data.enterprise_uscc or "",
            title=data.title,
            description=data.description,
            industry_chain=data.industry_chain or "",
            technical_field=data.technical_field or "",
            demand_type=data.demand_type,
            visibility="brokers",
            channel="activity",
        )
    except ValidationError as exc:
        # A chain or field this service cannot map, a bad USCC …: dead letter with the reason, never a guess.
        raise EventRejected("invalid_lead_demand", str(exc.errors()[0]["msg"])[:200]) from exc
    settings = app_settings(Settings)
    demand, _secret = await service.submit(
        session, body, LEAD_SUBMITTER, cipher=FieldCipher.from_b64(settings.pii_key), lead_id=data.lead_id
    )
    logger.info("demand %s filed from activity lead %s", demand.demand_number, data.lead_id)


HANDLERS = {LEAD_CONVERTED: on_lead_converted}
SCHEMAS: dict[str, type[BaseModel]] = {LEAD_CONVERTED: LeadConverted}
