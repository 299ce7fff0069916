"""免申即享: an entitlement determined by svc-policy becomes a disbursement, approved automatically up to a limit."""

from __future__ import annotations

import logging

from kunruyi_common.context import app_settings
from kunruyi_common.events.envelope import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.disbursements.batch import intake_entitlements
from kunruyi_disbursement.disbursements.repository import held_in_periods
from kunruyi_disbursement.disbursements.service import (
    EntitlementDetermined,
    approval_hold,
    create_disbursement,
)
from kunruyi_disbursement.policies.schemas import PolicyData
from kunruyi_disbursement.policies.service import get_policy, upsert_policy
from kunruyi_disbursement.settings import Settings

logger = logging.getLogger("kunruyi.disbursement.entitlements")
ENTITLEMENT_DETERMINED = "kunruyi.policy.entitlement.determined"


async def on_entitlement_determined(session: AsyncSession, event: CloudEvent) -> None:
    data = EntitlementDetermined.model_validate(event.data)
    policy = await get_policy(session, data.policy_code)
    if policy is None:
        # The entitlement can arrive before the catalog event; it names the policy well enough to pay it.
        await upsert_policy(
            session,
            PolicyData(
                code=data.policy_code,
                title=data.policy_title or data.policy_code,
                department=data.department,
                mode="automatic",
                version=data.version,
            ),
        )
        policy = await get_policy(session, data.policy_code)
    assert policy is not None
    settings = app_settings(Settings)
    already = 0
    if (
        data.sequence > 0
    ):  # a supplement: the period's total stays within the policy's cap, or a person decides
        key = (data.policy_code, data.entity_type, data.entity_id, data.period)
        already = (await held_in_periods(session, [key])).get(key, 0)
    hold = approval_hold(policy, data.amount_fen, settings.auto_approve_max_fen, already)
    created = await create_disbursement(
        session,
        mode="automatic",
        policy_code=data.policy_code,
        policy_version=data.version,
        department=data.department or policy.department,
        district=policy.district,
        entity_type=data.entity_type,
        entity_id=data.entity_id,
        period=data.period,
        amount_fen=data.amount_fen,
        entitlement_id=data.entitlement_id,
        approved_by="system:auto",
        needs_approval=hold is not None,
        sequence=data.sequence,
        supplement_of=data.supplement_of,
    )
    if created is None:
        logger.info("entitlement %s already has a disbursement", data.entitlement_id)


async def on_entitlements_determined(session: AsyncSession, events: list[CloudEvent]) -> None:
    """A fetch of entitlements in one transaction: a few set-based statements instead of a dozen per event."""
    items = [EntitlementDetermined.model_validate(event.data) for event in events]
    await intake_entitlements(
        session, items, auto_approve_max_fen=app_settings(Settings).auto_approve_max_fen
    )
