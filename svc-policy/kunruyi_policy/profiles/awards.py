"""Past talent-program awards as rule variables: svc-disbursement's ``program.selected`` (and
``program.selection_withdrawn`` after an upheld 公示 objection) kept in ``program_awards`` and read into the talent's
profile as ``program_award_codes`` and ``years_since_program_award`` — so 二次资助 (a talent selected N years ago
whose company has grown) and 不重复享受 (not again for a program already awarded) are decidable.

svc-talent's person events rebuild the profile; :func:`with_awards` adds the awards each time, and an award event
re-reads the stored profile and determines 免申即享 again."""

from __future__ import annotations

import logging
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events import CloudEvent
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.entitlements.service import determine_for_entity
from kunruyi_policy.models import EntityProfile, ProgramAward

logger = logging.getLogger("kunruyi.policy.awards")

PROGRAM_SELECTED = "kunruyi.disbursement.program.selected"
SELECTION_WITHDRAWN = "kunruyi.disbursement.program.selection_withdrawn"


class ProgramSelectedData(BaseModel):
    """svc-policy's view of ``program.selected``."""

    model_config = ConfigDict(extra="ignore")

    application_id: str
    program_code: str
    year: int
    applicant_kind: str
    applicant_id: str
    funding_level: str


class SelectionWithdrawnData(BaseModel):
    """svc-policy's view of ``program.selection_withdrawn``."""

    model_config = ConfigDict(extra="ignore")

    application_id: str
    applicant_kind: str
    applicant_id: str


async def with_awards(session: AsyncSession, talent_id: str, profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` with the talent's program awards as rule variables."""
    rows = (
        await session.execute(
            select(ProgramAward.program_code, ProgramAward.year).where(ProgramAward.talent_id == talent_id)
        )
    ).all()
    codes = sorted({code for code, _ in rows})
    first = min((year for _, year in rows), default=None)
    years = 0 if first is None else max(0, min(100, local_today().year - first))
    return {**profile, "program_award_codes": codes, "years_since_program_award": years}


async def _refresh(session: AsyncSession, talent_id: str) -> None:
    stored = await session.get(EntityProfile, ("talent", talent_id), with_for_update=True)
    if stored is None:  # the talent's profile arrives later and reads the awards then
        return
    profile = await with_awards(session, talent_id, dict(stored.profile))
    stored.profile = profile
    await session.flush()
    await determine_for_entity(session, "talent", talent_id, profile)


async def on_program_selected(session: AsyncSession, event: CloudEvent) -> None:
    data = ProgramSelectedData.model_validate(event.data)
    if data.applicant_kind != "talent":
        return
    await session.execute(
        insert(ProgramAward)
        .values(
            application_id=data.application_id,
            talent_id=data.applicant_id,
            program_code=data.program_code,
            funding_level=data.funding_level,
            year=data.year,
        )
        .on_conflict_do_nothing(index_elements=[ProgramAward.application_id])
    )
    await _refresh(session, data.applicant_id)


async def on_selection_withdrawn(session: AsyncSession, event: CloudEvent) -> None:
    data = SelectionWithdrawnData.model_validate(event.data)
    if data.applicant_kind != "talent":
        return
    await session.execute(delete(ProgramAward).where(ProgramAward.application_id == data.application_id))
    await _refresh(session, data.applicant_id)


HANDLERS = {PROGRAM_SELECTED: on_program_selected, SELECTION_WITHDRAWN: on_selection_withdrawn}
SCHEMAS: dict[str, type[BaseModel]] = {
    PROGRAM_SELECTED: ProgramSelectedData,
    SELECTION_WITHDRAWN: SelectionWithdrawnData,
}
