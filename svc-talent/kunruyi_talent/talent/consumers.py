"""Selection into a talent program (``kunruyi.disbursement.program.selected``, published by svc-disbursement when a
call's approver selects an application) adds the program and its funding level to the talent's profile, which
re-derives the talent's class and publishes the profile (svc-policy's ``talent_programs`` reads it).

Idempotent twice over: the kit's inbox drops a redelivered event before the handler runs, and a profile that
already lists the application (or the program in that year) is left as it is. A team's selection, or an applicant
id that is no talent here, changes nothing (logged).

An upheld 公示 objection (``program.selection_withdrawn``) removes the program again and re-derives the class; a
tranche released, an agreement ended or accepted (``program.tranche_released|agreement_ended|accepted``) is noted on
the program entry (``funding``) and in the talent's file history (action ``program``)."""

from __future__ import annotations

import logging
import uuid

from kunruyi_common.context import app_settings
from kunruyi_common.events.envelope import CloudEvent
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.models import Talent
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent.classification import PROGRAM_LEVELS
from kunruyi_talent.talent.service import add_program, record_program_funding, withdraw_program

logger = logging.getLogger("kunruyi.talent.programs")
PROGRAM_SELECTED = "kunruyi.disbursement.program.selected"
SELECTION_WITHDRAWN = "kunruyi.disbursement.program.selection_withdrawn"
TRANCHE_RELEASED = "kunruyi.disbursement.program.tranche_released"
AGREEMENT_ENDED = "kunruyi.disbursement.program.agreement_ended"
PROGRAM_ACCEPTED = "kunruyi.disbursement.program.accepted"


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


class SelectionWithdrawn(BaseModel):
    """This service's view of ``program.selection_withdrawn`` (an upheld 公示 objection)."""

    application_id: str
    applicant_kind: str
    applicant_id: str


class ProgramFunding(BaseModel):
    """This service's view of ``program.tranche_released|agreement_ended|accepted``: the application and where its
    funding stands."""

    model_config = ConfigDict(extra="ignore")

    application_id: str
    applicant_id: str
    released_fen: int
    total_fen: int
    seq: int | None = None
    reason: str | None = None
    result: str | None = None
    channel: str | None = None


async def _talent(session: AsyncSession, applicant_id: str) -> Talent | None:
    try:
        talent_id = uuid.UUID(applicant_id)
    except ValueError:
        return None
    return await session.get(Talent, talent_id, with_for_update=True)


async def on_selection_withdrawn(session: AsyncSession, event: CloudEvent) -> None:
    data = SelectionWithdrawn.model_validate(event.data)
    talent = None if data.applicant_kind != "talent" else await _talent(session, data.applicant_id)
    if talent is None:
        logger.info("withdrawn selection %s names no talent here", data.application_id)
        return
    pii = PersonalData.from_settings(app_settings(Settings))
    await withdraw_program(session, pii, talent, data.application_id, f"event:{event.type}")


_STEP = {
    TRANCHE_RELEASED: "tranche_released",
    AGREEMENT_ENDED: "agreement_ended",
    PROGRAM_ACCEPTED: "accepted",
}


async def on_program_funding(session: AsyncSession, event: CloudEvent) -> None:
    data = ProgramFunding.model_validate(event.data)
    talent = await _talent(session, data.applicant_id)
    if talent is None:
        return
    facts = {
        "step": _STEP[event.type],
        "released_fen": data.released_fen,
        "total_fen": data.total_fen,
        **{
            k: v
            for k, v in data.model_dump(include={"seq", "reason", "result", "channel"}).items()
            if v is not None
        },
    }
    await record_program_funding(session, talent, data.application_id, facts, f"event:{event.type}")


HANDLERS = {
    PROGRAM_SELECTED: on_program_selected,
    SELECTION_WITHDRAWN: on_selection_withdrawn,
    TRANCHE_RELEASED: on_program_funding,
    AGREEMENT_ENDED: on_program_funding,
    PROGRAM_ACCEPTED: on_program_funding,
}
SCHEMAS: dict[str, type[BaseModel]] = {
    PROGRAM_SELECTED: ProgramSelection,
    SELECTION_WITHDRAWN: SelectionWithdrawn,
    TRANCHE_RELEASED: ProgramFunding,
    AGREEMENT_ENDED: ProgramFunding,
    PROGRAM_ACCEPTED: ProgramFunding,
}
