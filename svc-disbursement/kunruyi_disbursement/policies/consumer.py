"""Consumer of svc-policy's catalog events: keeps the local policy read model current."""

from __future__ import annotations

from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.policies.schemas import PolicyData
from kunruyi_disbursement.policies.service import upsert_policy

POLICY_EVENT_TYPES = (
    "kunruyi.policy.policy.published",
    "kunruyi.policy.policy.suspended",
    "kunruyi.policy.policy.version_added",
)


POLICY_SCHEMAS: dict[str, type[BaseModel]] = dict.fromkeys(POLICY_EVENT_TYPES, PolicyData)


async def on_policy_event(session: AsyncSession, event: CloudEvent) -> None:
    data = PolicyData.model_validate(event.data)
    if event.type.endswith(".suspended"):
        data.status = "suspended"
    await upsert_policy(session, data)
