"""Selection into a talent program (svc-disbursement's ``program.selected``) adds the program and its funding level
to the talent's profile once, whatever the redeliveries; the talent's class follows, and the published profile
carries the program for svc-policy's ``talent_programs``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.context import using_settings
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_talent.identifiers import make_resident_id
from kunruyi_talent.main import build_spec
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent import consumers
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import TalentCreate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def selected(applicant_id: str, *, kind: str = "talent") -> dict[str, Any]:
    return {
        "application_id": str(uuid.uuid4()),
        "call_id": str(uuid.uuid4()),
        "program_code": "KS-SC-RC",
        "program_title": "昆山双创人才",
        "department": "科技局",
        "year": 2026,
        "applicant_kind": kind,
        "applicant_id": applicant_id,
        "company_uscc": None,
        "category": "A",
        "funding_level": "L1",
        "funding_level_max_fen": 200_000_000,
        "requested_amount_fen": 150_000_000,
        "rank": 1,
        "selected_by": "kj-approver",
        "selected_at": datetime.now(UTC).isoformat(),
    }


def event(data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(
        source="disbursement", type=consumers.PROGRAM_SELECTED, subject=data["application_id"], data=data
    )


async def test_selection_adds_the_program_once_and_the_profile_follows(
    session: AsyncSession, settings: Settings
) -> None:
    assert any(consumers.PROGRAM_SELECTED in c.handlers for c in build_spec().consumers)
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    talent = await talent_service.register(
        session, pii, TalentCreate(name="孙博士", id_number=make_resident_id(731), education="master"), "t"
    )
    assert talent.talent_class == "E" and talent.programs == []
    data = selected(str(talent.id))
    with using_settings(settings):
        first = event(data)
        for _ in range(3):  # redelivered
            await consumers.on_program_selected(session, first)
        # The same selection published again under another event id changes nothing either.
        await consumers.on_program_selected(session, event(data))
        # A team's selection, or an applicant who is no talent here, changes nothing (and does not fail).
        await consumers.on_program_selected(session, event(selected(str(talent.id), kind="team")))
        await consumers.on_program_selected(session, event(selected("talent-unknown")))
        await consumers.on_program_selected(session, event(selected(str(uuid.uuid4()))))
    await session.refresh(talent)
    assert talent.programs == [
        {
            "name": "昆山双创人才",
            "level": "county",
            "year": 2026,
            "code": "KS-SC-RC",
            "funding_level": "L1",
            "application_id": data["application_id"],
        }
    ]
    assert talent.talent_class == "D"  # a county-level program lifts a master's degree holder from E to D
    published = (
        (
            await session.execute(
                text(
                    "SELECT envelope->'data' FROM outbox_events WHERE type = 'kunruyi.talent.person.updated' AND subject = :s"
                ),
                {"s": str(talent.id)},
            )
        )
        .scalars()
        .all()
    )
    assert len(published) == 1
    assert published[0]["talent_programs"] == ["昆山双创人才"] and published[0]["talent_class"] == "D"


async def test_a_withdrawn_selection_leaves_the_profile_and_funding_steps_are_noted(
    session: AsyncSession, settings: Settings
) -> None:
    spec = build_spec()
    assert any(consumers.SELECTION_WITHDRAWN in c.handlers for c in spec.consumers)
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    talent = await talent_service.register(
        session, pii, TalentCreate(name="钱博士", id_number=make_resident_id(733), education="master"), "t"
    )
    kept, withdrawn = selected(str(talent.id)), selected(str(talent.id))
    withdrawn["year"] = 2025
    funding = {"applicant_id": str(talent.id), "total_fen": 50_000_000}
    with using_settings(settings):
        for data in (kept, withdrawn):
            await consumers.on_program_selected(session, event(data))
        await consumers.on_selection_withdrawn(
            session,
            CloudEvent(
                source="disbursement",
                type=consumers.SELECTION_WITHDRAWN,
                data={**withdrawn, "objection_id": str(uuid.uuid4())},
            ),
        )
        await consumers.on_program_funding(
            session,
            CloudEvent(
                source="disbursement",
                type=consumers.TRANCHE_RELEASED,
                data={
                    **funding,
                    "application_id": kept["application_id"],
                    "seq": 1,
                    "released_fen": 30_000_000,
                },
            ),
        )
    await session.refresh(talent)
    assert [p["application_id"] for p in talent.programs] == [kept["application_id"]]
    assert talent.programs[0]["funding"] == {
        "step": "tranche_released",
        "seq": 1,
        "released_fen": 30_000_000,
        "total_fen": 50_000_000,
    }
    history = [h.action for h in await talent_service.history(session, talent.id)]
    assert "program" in history
