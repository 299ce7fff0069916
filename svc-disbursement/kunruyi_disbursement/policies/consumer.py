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
    "kunruyi.policy.policy.updated",
)


POLICY_SCHEMAS: dict[str, type[BaseModel]] = dict.fromkeys(POLICY_EVENT_TYPES, PolicyData)


async def on_policy_event(session: AsyncSession, event: CloudEvent) -> None:
    data = PolicyData.model_validate(event.data)
    if event.type.endswith(".suspended"):
        data.status = "suspended"
    # the review stages and 公示 days are svc-policy's (an event before they travelled keeps what is stored)
    await upsert_policy(session, data, review_stages=data.review_stages, notice_days=data.notice_days)
