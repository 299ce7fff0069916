"""Selection into a talent program (``kunruyi.disbursement.program.selected``, published by svc-disbursement when a
call's approver selects an application) adds the program and its funding level to the talent's profile, which
re-derives the talent's class and publishes the profile (svc-policy's ``talent_programs`` reads it).

Idempotent twice over: the kit's inbox drops a redelivered event before the handler runs, and a profile that
already lists the application (or the program in that year) is left as it is. A team's selection, or an applicant
id that is no talent here, changes nothing (logged)."""

from __future__ import annotations

import logging
import uuid

from kunruyi_common.context import app_settings
from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import Talent
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent.classification import PROGRAM_LEVELS
from kunruyi_talent.talent.service import add_program

logger = logging.getLogger("kunruyi.talent.programs")
PROGRAM_SELECTED = "kunruyi.disbursement.program.selected"


class ProgramSelection(BaseModel):
    """This service's view of svc-disbursement's ``program.selected`` data (checked by the contract tests)."""

    application_id: str
    program_code: str
    program_title: str
    year: int
    applicant_kind: str
    applicant_id: str
    funding_level: str


async def on_program_selected(session: AsyncSession, event: CloudEvent) -> None:
    data = ProgramSelection.model_validate(event.data)
    if data.applicant_kind != "talent":
        logger.info("program selection %s is a team's: no talent profile to update", data.application_id)
        return
    try:
        talent_id = uuid.UUID(data.applicant_id)
    except ValueError:
        talent_id = None
    talent = None if talent_id is None else await session.get(Talent, talent_id, with_for_update=True)
    if talent is None:
        logger.warning(
            "program selection %s names no known talent (%s)", data.application_id, data.applicant_id
        )
        return
    entry: dict[str, object] = {
        "name": data.program_title,
        # Programs of Kunshan's departments are county-level (昆山 is a county-level city) unless known otherwise.
        "level": PROGRAM_LEVELS.get(data.program_title, "county"),
        "year": data.year,
        "code": data.program_code,
        "funding_level": data.funding_level,
        "application_id": data.application_id,
    }
    pii = PersonalData.from_settings(app_settings(Settings))
    await add_program(session, pii, talent, entry, f"event:{event.type}")


HANDLERS = {PROGRAM_SELECTED: on_program_selected}
SCHEMAS: dict[str, type[BaseModel]] = {PROGRAM_SELECTED: ProgramSelection}
