"""Past talent-program awards as rule variables: svc-disbursement's ``program.selected`` lands in the talent's
profile as ``program_award_codes`` and ``years_since_program_award`` (a withdrawn selection leaves it again), so a
二次资助 rule (selected three or more years ago, and the employer has since become 高企) and a 不重复享受 exclusion
(never awarded this program) are decided on it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events import CloudEvent
from kunruyi_policy.main import build_spec
from kunruyi_policy.models import EntityProfile
from kunruyi_policy.profiles import awards
from kunruyi_policy.profiles.handlers import on_person
from kunruyi_policy.rules.jsonlogic import compile_rule
from kunruyi_policy.rules.variables import variables_for
from sqlalchemy.ext.asyncio import AsyncSession

SECOND_ROUND = {  # 二次资助
    "and": [
        {"in": ["KS-SC-RC", {"var": "program_award_codes"}]},
        {">=": [{"var": "years_since_program_award"}, 3]},
        {"in": ["high_tech", {"var": "employer_qualifications"}]},
    ]
}
NOT_TWICE = {"!": {"in": ["KS-SC-RC", {"var": "program_award_codes"}]}}  # 不重复享受


def award(talent_id: str, year: int, application_id: str) -> CloudEvent:
    return CloudEvent(
        source="disbursement",
        type=awards.PROGRAM_SELECTED,
        subject=application_id,
        data={
            "application_id": application_id,
            "program_code": "KS-SC-RC",
            "year": year,
            "applicant_kind": "talent",
            "applicant_id": talent_id,
            "funding_level": "L1",
        },
    )


async def profile_of(session: AsyncSession, talent_id: str) -> dict[str, Any]:
    stored = await session.get(EntityProfile, ("talent", talent_id), populate_existing=True)
    assert stored is not None
    return dict(stored.profile)


async def test_past_awards_decide_second_round_funding_and_not_twice(session: AsyncSession) -> None:
    assert {"program_award_codes", "years_since_program_award"} <= set(variables_for("talent"))
    assert any(awards.PROGRAM_SELECTED in c.handlers for c in build_spec().consumers)
    talent_id = f"t-{uuid.uuid4().hex[:12]}"
    person = {
        "talent_id": talent_id,
        "age": 38,
        "education": "doctor",
        "talent_programs": [],
        "employer_qualifications": ["high_tech"],
    }
    await on_person(
        session,
        CloudEvent(source="talent", type="kunruyi.talent.person.updated", subject=talent_id, data=person),
    )
    before = await profile_of(session, talent_id)
    assert (before["program_award_codes"], before["years_since_program_award"]) == ([], 0)
    assert "years_since_program_award" not in before["_unknown"]
    assert compile_rule(SECOND_ROUND)(before) is False and compile_rule(NOT_TWICE)(before) is True

    # Selected four years ago: 二次资助 applies, the same program is not granted twice.
    first = str(uuid.uuid4())
    await awards.on_program_selected(session, award(talent_id, local_today().year - 4, first))
    after = await profile_of(session, talent_id)
    assert (after["program_award_codes"], after["years_since_program_award"]) == (["KS-SC-RC"], 4)
    assert compile_rule(SECOND_ROUND)(after) is True and compile_rule(NOT_TWICE)(after) is False

    # A later person event rebuilds the profile and keeps the award.
    await on_person(
        session,
        CloudEvent(
            source="talent",
            type="kunruyi.talent.person.updated",
            subject=talent_id,
            time=datetime.now(UTC),
            data={**person, "age": 39},
        ),
    )
    assert (await profile_of(session, talent_id))["program_award_codes"] == ["KS-SC-RC"]

    # The selection withdrawn after an upheld 公示 objection: no award any more.
    await awards.on_selection_withdrawn(
        session,
        CloudEvent(
            source="disbursement",
            type=awards.SELECTION_WITHDRAWN,
            data={"application_id": first, "applicant_kind": "talent", "applicant_id": talent_id},
        ),
    )
    withdrawn = await profile_of(session, talent_id)
    assert (withdrawn["program_award_codes"], withdrawn["years_since_program_award"]) == ([], 0)
