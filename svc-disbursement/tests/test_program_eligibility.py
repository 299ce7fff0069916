"""A program call's eligibility from svc-policy's rules: the call names the policy whose rules say who may apply
(``eligibility_policy``); each application is checked on the applicant's stored file by the calculator, over real
HTTP (a stand-in svc-policy on a free port, as in test_computed_amounts).

Refused with nothing written: an applicant who does not qualify (the failed criteria named), one not on file, a
call whose policy is not in force, and any application while svc-policy is down. Admitted: an eligible applicant,
and one whose criterion needs the panel's confirmation — the answer is kept on the application for the reviewers.
A call without an eligibility policy never asks svc-policy."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from disbursement_testkit import serving
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, verify_internal_token
from kunruyi_common.clock import local_today
from kunruyi_common.errors import ProblemError
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.testing import api_client, partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .test_computed_amounts import disbursement_app

RULES = "KS-SC-ELIG"
QUALIFIES, TO_CONFIRM, TOO_OLD, NOT_ON_FILE, NOT_IN_FORCE = (str(uuid.UUID(int=8100 + n)) for n in range(5))
OFFICER = staff("officer", department="科技局", subject="kj-elig-officer")
PARTNER = partner("disbursement:write")


def criterion(label: str, state: str) -> dict[str, Any]:
    return {"id": label, "label": label, "kind": "data", "state": state, "values": {"age": 38}}


ANSWERS = {
    QUALIFIES: ("eligible", [criterion("博士学位", "pass"), criterion("年龄不超过 45 周岁", "pass")]),
    TO_CONFIRM: ("needs_confirmation", [criterion("博士学位", "pass"), criterion("全职来昆工作", "manual")]),
    TOO_OLD: ("ineligible", [criterion("博士学位", "pass"), criterion("年龄不超过 45 周岁", "fail")]),
}


@dataclass
class StandIn:
    secret: str
    up: bool = True
    calls: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        stand_in = FastAPI()

        @stand_in.post("/api/v1/policy-calculator")
        async def calculator(request: Request) -> JSONResponse:
            try:
                verify_internal_token(request.headers.get(INTERNAL_TOKEN_HEADER, ""), self.secret)
            except ProblemError as exc:
                return JSONResponse(exc.to_problem(), status_code=exc.status)
            body = await request.json()
            self.calls.append(body)
            if not self.up:
                return JSONResponse({"status": 503, "code": "unavailable"}, status_code=503)
            who = body["entity_id"]
            if who == NOT_ON_FILE:
                return JSONResponse(
                    {"status": 404, "code": "profile_not_found", "detail": f"没有 {who} 的画像"},
                    status_code=404,
                    media_type="application/problem+json",
                )
            results = []
            if who in ANSWERS and body["policy_codes"] == [RULES]:
                status, criteria = ANSWERS[who]
                results = [
                    {
                        "policy_code": RULES,
                        "version": 2,
                        "status": status,
                        "amount_fen": 0,
                        "title": "双创人才申报条件",
                        "criteria": criteria,
                        "almost": None,
                    }
                ]
            return JSONResponse(
                {
                    "beneficiary": body["entity_type"],
                    "summary": {},
                    "results": results,
                    "almost": [],
                    "versions_used": [],
                    "entity": {"entity_type": body["entity_type"], "entity_id": who},
                    "evaluation_date": body["evaluation_date"],
                }
            )

        return stand_in


@pytest.fixture
async def policy(settings: Settings) -> AsyncIterator[tuple[str, StandIn]]:
    stand_in = StandIn(secret=settings.internal_token_secret)
    async with serving(stand_in.app()) as url:
        yield url, stand_in


async def open_call(c: Any, eligibility_policy: str | None) -> str:
    code = f"SC-{uuid.uuid4().hex[:8]}"
    program = await c.post(
        "/api/v1/programs", json={"code": code, "title": "昆山双创人才", "applicant_kind": "talent"}
    )
    assert program.status_code == 201, program.text
    today = local_today()
    call = await c.post(
        f"/api/v1/programs/{program.json()['id']}/calls",
        json={
            "year": today.year,
            "title": f"{today.year}年度昆山双创人才",
            "opens_on": today.isoformat(),
            "closes_on": today.isoformat(),
            "categories": [{"code": "A", "title": "科技创新类", "quota": 2}],
            "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 200_000_000}],
            "eligibility_policy": eligibility_policy,
        },
    )
    assert call.status_code == 201, call.text
    assert call.json()["eligibility_policy"] == eligibility_policy
    return str(call.json()["id"])


def application(who: str) -> dict[str, Any]:
    return {
        "applicant_id": who,
        "applicant_name": f"申报人{who[-3:]}",
        "category": "A",
        "funding_level": "L1",
        "requested_amount_fen": 100_000_000,
        "plan": "三年内完成样机",
    }


async def written(session: AsyncSession, call_id: str) -> tuple[int, int]:
    """(applications, their outbox events) of the call."""
    apps = (
        await session.execute(
            text("SELECT count(*) FROM program_applications WHERE call_id = :c"), {"c": call_id}
        )
    ).scalar_one()
    events = (
        await session.execute(
            text(
                "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.disbursement.program.application_submitted'"
                " AND envelope->'data'->>'call_id' = :c"
            ),
            {"c": call_id},
        )
    ).scalar_one()
    return int(apps), int(events)


async def test_the_calls_rules_decide_who_may_apply(
    settings: Settings, session: AsyncSession, policy: tuple[str, StandIn]
) -> None:
    url, stand_in = policy
    app = disbursement_app(settings, url)
    async with api_client(app, session, OFFICER) as c:
        call = await open_call(c, RULES)
    apply_url = f"/api/v1/program-calls/{call}/applications"
    async with api_client(app, session, PARTNER) as c:
        admitted = await c.post(apply_url, json=application(QUALIFIES))
        assert admitted.status_code == 201, admitted.text
        kept = admitted.json()["eligibility"]
        assert (kept["policy_code"], kept["version"], kept["status"]) == (RULES, 2, "eligible")
        assert kept["evaluated_on"] == local_today().isoformat()
        assert [(k["label"], k["state"]) for k in kept["criteria"]] == [
            ("博士学位", "pass"),
            ("年龄不超过 45 周岁", "pass"),
        ]

        # A criterion only the panel can confirm: admitted, and the panel sees which.
        confirm = await c.post(apply_url, json=application(TO_CONFIRM))
        assert confirm.status_code == 201, confirm.text
        assert confirm.json()["eligibility"]["status"] == "needs_confirmation"
        assert ("全职来昆工作", "manual") in [
            (k["label"], k["state"]) for k in confirm.json()["eligibility"]["criteria"]
        ]

        refused = await c.post(apply_url, json=application(TOO_OLD))
        assert refused.status_code == 422 and refused.headers["content-type"].startswith(
            "application/problem+json"
        )
        problem = refused.json()
        assert (problem["code"], problem["field"]) == ("program_applicant_not_eligible", "applicant_id")
        assert (
            problem["failed_criteria"] == ["年龄不超过 45 周岁"] and "年龄不超过 45 周岁" in problem["detail"]
        )

        missing = await c.post(apply_url, json=application(NOT_ON_FILE))
        assert (missing.status_code, missing.json()["code"]) == (422, "program_applicant_not_on_file")
        assert missing.json()["field"] == "applicant_id"

        # svc-policy down: 503, retry later; the one refused is refused again when it is back.
        stand_in.up = False
        down = await c.post(apply_url, json=application(NOT_IN_FORCE))
        assert (down.status_code, down.json()["code"]) == (503, "policy_unavailable")
        stand_in.up = True
        not_in_force = await c.post(apply_url, json=application(NOT_IN_FORCE))
        assert (not_in_force.status_code, not_in_force.json()["code"]) == (
            409,
            "program_eligibility_policy_not_in_force",
        )

        # A second application by an admitted talent is refused before svc-policy is asked again.
        asked = len(stand_in.calls)
        again = await c.post(apply_url, json=application(QUALIFIES))
        assert (again.status_code, again.json()["code"]) == (409, "already_applied")
        assert len(stand_in.calls) == asked

    async with api_client(app, session, OFFICER) as c:
        listed = (await c.get(apply_url)).json()["items"]
        assert {a["applicant_id"]: a["eligibility"]["status"] for a in listed} == {
            QUALIFIES: "eligible",
            TO_CONFIRM: "needs_confirmation",
        }
    await session.commit()
    assert await written(session, call) == (2, 2)  # the refused ones wrote nothing
    assert {(b["entity_type"], b["policy_codes"][0]) for b in stand_in.calls} == {("talent", RULES)}

    # A call without an eligibility policy: anyone may apply, svc-policy is not asked.
    async with api_client(app, session, OFFICER) as c:
        free = await open_call(c, None)
    asked = len(stand_in.calls)
    async with api_client(app, session, PARTNER) as c:
        anyone = await c.post(f"/api/v1/program-calls/{free}/applications", json=application(TOO_OLD))
    assert anyone.status_code == 201 and anyone.json()["eligibility"] is None
    assert len(stand_in.calls) == asked
