"""Consumer of svc-talent's registry events: keeps the name of each company (by USCC) and talent (by id), and a
company's qualification dates (acceptance's green channel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.directory.repository import upsert_name


class EnterpriseName(BaseModel):
    """The part of ``kunruyi.talent.enterprise.registered|updated`` this service reads."""

    model_config = ConfigDict(extra="ignore")
    uscc: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    # kind → {"granted_on", "expires_on"}: acceptance's green channel reads when a qualification was reached
    qualification_dates: dict[str, dict[str, date | None]] = Field(default_factory=dict)


class PersonName(BaseModel):
    """The part of ``kunruyi.talent.person.registered|updated`` this service reads."""

    model_config = ConfigDict(extra="ignore")
    talent_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)


async def on_enterprise(session: AsyncSession, event: CloudEvent) -> None:
    data = EnterpriseName.model_validate(event.data)
    dates: dict[str, Any] = {
        kind: {k: None if v is None else v.isoformat() for k, v in d.items()}
        for kind, d in data.qualification_dates.items()
    }
    await upsert_name(session, "enterprise", data.uscc, data.name, event.time, qualification_dates=dates)


async def on_person(session: AsyncSession, event: CloudEvent) -> None:
    data = PersonName.model_validate(event.data)
    await upsert_name(session, "talent", data.talent_id, data.name, event.time)


HANDLERS = {
    "kunruyi.talent.enterprise.registered": on_enterprise,
    "kunruyi.talent.enterprise.updated": on_enterprise,
    "kunruyi.talent.person.registered": on_person,
    "kunruyi.talent.person.updated": on_person,
}
SCHEMAS: dict[str, type[BaseModel]] = {
    "kunruyi.talent.enterprise.registered": EnterpriseName,
    "kunruyi.talent.enterprise.updated": EnterpriseName,
    "kunruyi.talent.person.registered": PersonName,
    "kunruyi.talent.person.updated": PersonName,
}
