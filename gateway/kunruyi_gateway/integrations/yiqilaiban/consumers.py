"""Events that must reach the portal become delivery rows (in the consumer's transaction); the sender does the rest."""

from __future__ import annotations

from typing import Any

from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.integrations.models import OutboundDelivery

STATUS_PATH = "/api/callbacks/application-status"
POLICY_PATH = "/api/policy-library/policies"


async def enqueue(session: AsyncSession, *, kind: str, key: str, path: str, payload: dict[str, Any]) -> bool:
    """Add a delivery unless one with this idempotency key exists. True when added."""
    result = await session.execute(
        insert(OutboundDelivery)
        .values(kind=kind, idempotency_key=key, path=path, payload=payload, next_attempt_at=func.now())
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboundDelivery.id)
    )
    return result.first() is not None


async def on_application_status_changed(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    if data.get("channel") != "yiqilaiban" or not data.get("external_ref"):
        return
    number, status = str(data["external_ref"]), str(data["status"])
    await enqueue(
        session,
        kind="application_status",
        key=f"status:{number}:{status}",
        path=STATUS_PATH,
        payload={
            "application_number": number,
            "status": status,
            "previous_status": data.get("previous_status"),
            "comment": data.get("comment"),
            "changed_at": data.get("changed_at"),
            "platform_application_number": data.get("application_number"),
            "policy_code": data.get("policy_code"),
        },
    )


async def on_policy_published(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    await enqueue(
        session,
        kind="policy",
        key=f"policy:{data.get('code')}:{data.get('version')}",
        path=POLICY_PATH,
        payload={**data, "source": "昆如意"},
    )


class ApplicationStatusData(BaseModel):
    """The fields of svc-disbursement's application status event the portal callback reads."""

    model_config = ConfigDict(extra="allow")

    application_number: str
    policy_code: str
    status: str
    previous_status: str | None = None
    channel: str
    external_ref: str | None = None
    comment: str | None = None


class PolicyPublishedData(BaseModel):
    """The fields of svc-policy's published event the portal's policy library needs (the rest is passed on)."""

    model_config = ConfigDict(extra="allow")

    code: str
    title: str
    version: int


STATUS_EVENT = "kunruyi.disbursement.application.status_changed"
POLICY_EVENT = "kunruyi.policy.policy.published"
STATUS_HANDLERS = {STATUS_EVENT: on_application_status_changed}
POLICY_HANDLERS = {POLICY_EVENT: on_policy_published}
STATUS_SCHEMAS: dict[str, type[BaseModel]] = {STATUS_EVENT: ApplicationStatusData}
POLICY_SCHEMAS: dict[str, type[BaseModel]] = {POLICY_EVENT: PolicyPublishedData}
