"""Closed financings from svc-matching (``kunruyi.matching.financing.closed``) into the enterprise read model.

Each loan, guarantee or insurance policy is kept once in the company's profile under ``financings`` (key
``<institution>|<loan number>``), so the same event delivered again — or a second event for the same loan —
changes nothing. The period variables ``ip_pledge_interest_in_period_fen``, ``guarantee_fee_in_period_fen`` and
``insurance_premium_in_period_fen`` are computed from them for the evaluation year (profiles/period.py); 免申即享
is then determined for the company at once, as for any profile change, and again by every run.

A company svc-policy has not yet heard of from svc-talent gets a profile holding only its financings (every
figure unknown, dated as older than any enterprise event so the registration still lands); an enterprise event
later keeps the financings (handlers.upsert_profile).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from kunruyi_common.events import CloudEvent
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.entitlements.service import determine_for_entity
from kunruyi_policy.models import EntityProfile
from kunruyi_policy.profiles.period import UNKNOWN_KEY, unknown_figures
from kunruyi_policy.reach.service import update_reach
from kunruyi_policy.rules.variables import EnterpriseProfile, FinancingFact

# A profile made from a financing alone is older than any enterprise event, so the registration is not ignored.
_BEFORE_ANY_EVENT = datetime(1970, 1, 1, tzinfo=UTC)


class FinancingClosedData(BaseModel):
    """svc-policy's own model of svc-matching's ``financing.closed`` data (the fields it reads)."""

    model_config = ConfigDict(extra="ignore")

    enterprise_uscc: str
    institution: str
    product_kind: str
    loan_number: str
    amount_fen: int
    first_year_interest_fen: int | None = None
    guarantee_fee_fen: int | None = None
    premium_fen: int | None = None
    closed_on: date


def fact_of(data: FinancingClosedData) -> tuple[str, dict[str, Any]]:
    fact = FinancingFact(
        product_kind=data.product_kind,
        closed_on=data.closed_on.isoformat(),
        amount_fen=data.amount_fen,
        first_year_interest_fen=data.first_year_interest_fen,
        guarantee_fee_fen=data.guarantee_fee_fen,
        premium_fen=data.premium_fen,
    )
    return f"{data.institution}|{data.loan_number}", fact.model_dump()


async def on_financing_closed(session: AsyncSession, event: CloudEvent) -> None:
    data = FinancingClosedData.model_validate(event.data)
    key, fact = fact_of(data)
    row = (
        await session.execute(
            select(EntityProfile)
            .where(EntityProfile.entity_type == "enterprise", EntityProfile.entity_id == data.enterprise_uscc)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        profile = EnterpriseProfile().model_dump()
        profile[UNKNOWN_KEY] = unknown_figures("enterprise", ())
        profile["financings"] = {key: fact}
        row = EntityProfile(
            entity_type="enterprise",
            entity_id=data.enterprise_uscc,
            name="",
            profile=profile,
            source_event_time=_BEFORE_ANY_EVENT,
        )
        session.add(row)
    else:
        financings = dict(row.profile.get("financings") or {})
        if financings.get(key) == fact:
            return  # this loan is already in the read model
        financings[key] = fact
        row.profile = {**row.profile, "financings": financings}
        row.updated_at = datetime.now(UTC)
    await session.flush()
    await determine_for_entity(session, "enterprise", data.enterprise_uscc, row.profile)
    await update_reach(session, "enterprise", data.enterprise_uscc, row.profile)


SCHEMAS: dict[str, type[BaseModel]] = {"kunruyi.matching.financing.closed": FinancingClosedData}
HANDLERS = {"kunruyi.matching.financing.closed": on_financing_closed}
