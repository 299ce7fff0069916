"""申报 without an amount: svc-disbursement asks svc-policy's calculator over real HTTP.

A small stand-in svc-policy runs as a real uvicorn server on a free port and answers the calculator's contract
(``POST /api/v1/policy-calculator``) per applicant; it verifies the internal token every call carries.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from disbursement_testkit import make_uscc, serving
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kunruyi_common.app import create_service_app
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, verify_internal_token
from kunruyi_common.errors import ProblemError
from kunruyi_disbursement.main import build_spec
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.testing import api_client, partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

POLICY = "KS-CALC-001"
CAP = 500_000
ELIGIBLE = make_uscc(7001)
NEEDS_CONFIRMATION = make_uscc(7002)
INELIGIBLE = make_uscc(7003)
OVER_CAP = make_uscc(7004)
RULE_ERROR = make_uscc(7005)
NO_PROFILE = make_uscc(7006)
SERVER_ERROR = make_uscc(7007)
SLOW = make_uscc(7008)
NOT_IN_FORCE = make_uscc(7009)
TALENT = str(uuid.UUID(int=7010))


def criterion(cid: str, label: str, state: str) -> dict[str, Any]:
    return {"id": cid, "label": label, "kind": "rule", "state": state, "values": {"rd_ratio": 0.05}}


def result(
    status: str, amount_fen: int | None, criteria: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "policy_code": POLICY,
        "version": 3,
        "status": status,
        "amount_fen": amount_fen,
        "title": "研发投入奖励",
        "criteria": criteria,
        "almost": None,
        **extra,
    }


ANSWERS: dict[str, dict[str, Any]] = {
    ELIGIBLE: result("eligible", 120_000, [criterion("rd", "研发费用占比不低于 3%", "pass")]),
    TALENT: result("eligible", 60_000, [criterion("degree", "博士学位", "pass")]),
    NEEDS_CONFIRMATION: result(
        "needs_confirmation",
        80_000,
        [criterion("rd", "研发费用占比不低于 3%", "pass"), criterion("site", "在昆山实际经营", "manual")],
    ),
    INELIGIBLE: result(
        "ineligible",
        None,
        [
            criterion("rd", "研发费用占比不低于 3%", "fail"),
            criterion("hitech", "高新技术企业", "fail"),
            criterion("tax", "在昆山纳税", "pass"),
        ],
    ),
    OVER_CAP: result("eligible", CAP + 1, [criterion("rd", "研发费用占比不低于 3%", "pass")]),
    RULE_ERROR: result("error", None, [], reason="金额：参数 rate 在 2026-11-29 没有生效的取值"),
}


@dataclass
class StandInPolicy:
    """svc-policy's calculator, as far as svc-disbursement uses it."""

    secret: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    principals: list[Principal] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        stand_in = FastAPI()

        @stand_in.post("/api/v1/policy-calculator")
        async def calculator(request: Request) -> JSONResponse:
            body = await request.json()
            self.calls.append(body)
            # The same check svc-policy makes: a token minted with the shared secret, or 401.
            try:
                principal = verify_internal_token(request.headers.get(INTERNAL_TOKEN_HEADER, ""), self.secret)
            except ProblemError as exc:
                return JSONResponse(exc.to_problem(), status_code=exc.status)
            self.principals.append(principal)
            entity_id = body["entity_id"]
            if entity_id == SLOW:
                await self.release.wait()
            if entity_id == NO_PROFILE:
                return JSONResponse(
                    {"status": 404, "code": "profile_not_found", "detail": f"没有 {entity_id} 的画像"},
                    status_code=404,
                    media_type="application/problem+json",
                )
            if entity_id == SERVER_ERROR:
                return JSONResponse({"status": 500, "code": "internal_error"}, status_code=500)
            answer = ANSWERS.get(entity_id)
            results = [answer] if answer is not None and POLICY in body["policy_codes"] else []
            return JSONResponse(
                {
                    "beneficiary": body["entity_type"],
                    "summary": {},
                    "results": results,
                    "almost": [],
                    "versions_used": [
                        {"policy_code": r["policy_code"], "version": r["version"]} for r in results
                    ],
                    "entity": {"entity_type": body["entity_type"], "entity_id": entity_id},
                    "evaluation_date": body.get("evaluation_date") or "2026-11-29",
                }
            )

        return stand_in


@pytest.fixture
async def policy_server(settings: Settings) -> AsyncIterator[tuple[str, StandInPolicy]]:
    stand_in = StandInPolicy(secret=settings.internal_token_secret)
    async with serving(stand_in.app()) as url:
        try:
            yield url, stand_in
        finally:
            stand_in.release.set()


def disbursement_app(settings: Settings, policy_url: str, timeout_s: float = 5.0) -> FastAPI:
    return create_service_app(
        build_spec(), settings.model_copy(update={"policy_url": policy_url, "policy_timeout_s": timeout_s})
    )


async def setup_policy(app: FastAPI, session: AsyncSession) -> None:
    async with api_client(app, session, staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": f"setup-{POLICY}"},
            json={
                "policy_code": POLICY,
                "fiscal_year": 2026,
                "amount_fen": 10_000_000,
                "policy": {
                    "title": "研发投入奖励",
                    "department": "科技局",
                    "mode": "application",
                    "max_amount_fen": CAP,
                    "valid_from": "2025-01-01",
                    "valid_to": "2026-12-31",
                },
            },
        )
        assert resp.status_code == 201, resp.text


def application(applicant_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "policy_code": POLICY,
        "applicant_type": "enterprise",
        "applicant_id": applicant_id,
        "period": "2026",
        "channel": "yiqilaiban",
        **overrides,
    }


async def rows_for(session: AsyncSession, applicant_id: str) -> tuple[int, int]:
    """(applications, outbox events) written for this applicant."""
    apps = (
        await session.execute(
            text("SELECT count(*) FROM applications WHERE applicant_id = :a"), {"a": applicant_id}
        )
    ).scalar_one()
    events = (
        await session.execute(
            text("SELECT count(*) FROM outbox_events WHERE CAST(envelope AS text) LIKE :a"),
            {"a": f"%{applicant_id}%"},
        )
    ).scalar_one()
    return int(apps), int(events)


async def test_no_amount_takes_the_calculators_amount_with_its_source(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy]
) -> None:
    url, stand_in = policy_server
    app = disbursement_app(settings, url)
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write", "disbursement:read")) as c:
        created = await c.post(
            "/api/v1/applications", json=application(ELIGIBLE), headers={"Idempotency-Key": "c-1"}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["amount_fen"], body["amount_source"]) == (120_000, "computed")
        assert (body["amount_policy_version"], body["amount_calculator_status"]) == (3, "eligible")
        # A retry with the same key is the first answer: the calculator is not asked again.
        replay = await c.post(
            "/api/v1/applications", json=application(ELIGIBLE), headers={"Idempotency-Key": "c-1"}
        )
        assert replay.json() == body and len(stand_in.calls) == 1
        detail = (await c.get(f"/api/v1/applications/{body['id']}")).json()
        calculation = detail["amount_calculation"]
        assert (calculation["status"], calculation["version"], calculation["amount_fen"]) == (
            "eligible",
            3,
            120_000,
        )
        assert calculation["criteria"] == [
            {"id": "rd", "label": "研发费用占比不低于 3%", "kind": "rule", "state": "pass"}
        ]  # the states, not the profile values the rules read

        requested = await c.post("/api/v1/applications", json=application(make_uscc(7099), amount_fen=90_000))
        assert requested.status_code == 201, requested.text
        assert (requested.json()["amount_source"], requested.json()["amount_policy_version"]) == (
            "requested",
            None,
        )
        assert requested.json()["amount_calculator_status"] is None
    assert len(stand_in.calls) == 1  # a requested amount never asks svc-policy

    assert stand_in.calls[0] == {
        "entity_type": "enterprise",
        "entity_id": ELIGIBLE,
        "policy_codes": [POLICY],
        "evaluation_date": stand_in.calls[0]["evaluation_date"],
    }
    assert (
        "2026-01-01" <= stand_in.calls[0]["evaluation_date"] <= "2026-12-31"
    )  # a day of the period applied for
    caller = stand_in.principals[0]
    assert (caller.kind, caller.subject) == ("service", "svc-disbursement")
    row = (
        await session.execute(
            text(
                "SELECT amount_fen, amount_source, amount_policy_version, amount_calculator_status "
                "FROM applications WHERE applicant_id = :a"
            ),
            {"a": ELIGIBLE},
        )
    ).one()
    assert tuple(row) == (120_000, "computed", 3, "eligible")
    assert await rows_for(session, ELIGIBLE) == (
        1,
        1,
    )  # the row and its status_changed event: what refusals lack


async def test_needs_confirmation_is_taken_and_shown_to_reviewers_and_talent_ids_work(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy]
) -> None:
    url, stand_in = policy_server
    app = disbursement_app(settings, url)
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application(NEEDS_CONFIRMATION))
        assert created.status_code == 201, created.text
        talent = await c.post("/api/v1/applications", json=application(TALENT, applicant_type="talent"))
        assert talent.status_code == 201, talent.text
    assert (talent.json()["amount_fen"], talent.json()["amount_source"]) == (60_000, "computed")
    assert stand_in.calls[-1]["entity_type"] == "talent" and stand_in.calls[-1]["entity_id"] == TALENT
    async with api_client(app, session, staff("reviewer", department="科技局")) as c:
        listed = (await c.get("/api/v1/applications", params={"applicant_id": NEEDS_CONFIRMATION})).json()[
            "items"
        ]
        detail = (await c.get(f"/api/v1/applications/{created.json()['id']}")).json()
    assert [(i["amount_fen"], i["amount_calculator_status"]) for i in listed] == [
        (80_000, "needs_confirmation")
    ]
    manual = [c for c in detail["amount_calculation"]["criteria"] if c["state"] == "manual"]
    assert [c["label"] for c in manual] == ["在昆山实际经营"]


async def test_ineligible_is_422_not_eligible_with_the_failed_criteria_and_nothing_written(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy]
) -> None:
    url, _ = policy_server
    app = disbursement_app(settings, url)
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write")) as c:
        resp = await c.post("/api/v1/applications", json=application(INELIGIBLE))
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["field"]) == ("not_eligible", "amount_fen")
    assert problem["failed_criteria"] == ["研发费用占比不低于 3%", "高新技术企业"]
    assert "研发费用占比不低于 3%" in problem["detail"] and problem["policy_version"] == 3
    assert await rows_for(session, INELIGIBLE) == (0, 0)


@pytest.mark.parametrize(
    ("applicant_id", "code"),
    [
        (OVER_CAP, "amount_over_cap"),  # the cap applies to computed amounts as well
        (RULE_ERROR, "amount_not_computable"),
        (NO_PROFILE, "amount_not_computable"),
        (NOT_IN_FORCE, "amount_not_computable"),
    ],
)
async def test_a_computed_amount_that_cannot_be_taken_is_422_naming_amount_fen(
    settings: Settings,
    session: AsyncSession,
    policy_server: tuple[str, StandInPolicy],
    applicant_id: str,
    code: str,
) -> None:
    url, _ = policy_server
    app = disbursement_app(settings, url)
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write")) as c:
        resp = await c.post("/api/v1/applications", json=application(applicant_id))
    assert resp.status_code == 422, resp.text
    assert (resp.json()["code"], resp.json()["field"]) == (code, "amount_fen")
    assert await rows_for(session, applicant_id) == (0, 0)


@pytest.mark.parametrize("failure", ["down", "server_error", "timeout"])
async def test_policy_unavailable_is_503_nothing_written_and_a_retry_with_the_same_key_succeeds(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy], failure: str
) -> None:
    url, stand_in = policy_server
    healthy = disbursement_app(settings, url)
    await setup_policy(healthy, session)
    applicant = {"down": ELIGIBLE, "server_error": SERVER_ERROR, "timeout": SLOW}[failure]
    if failure == "down":
        failing = disbursement_app(settings, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    else:
        failing = disbursement_app(settings, url, timeout_s=0.3)
    async with api_client(failing, session, partner("disbursement:write")) as c:
        resp = await c.post(
            "/api/v1/applications",
            json=application(applicant),
            headers={"Idempotency-Key": f"retry-{failure}"},
        )
    assert resp.status_code == 503, resp.text
    assert resp.json()["code"] == "policy_unavailable" and "amount_fen" in resp.json()["detail"]
    assert await rows_for(session, applicant) == (0, 0)
    if failure == "down":
        # No key was kept with the failure: the same request, once svc-policy is back, is recorded.
        async with api_client(healthy, session, partner("disbursement:write")) as c:
            retried = await c.post(
                "/api/v1/applications", json=application(applicant), headers={"Idempotency-Key": "retry-down"}
            )
        assert retried.status_code == 201, retried.text
        assert retried.json()["amount_source"] == "computed"
    else:
        # The applicant can always send a requested amount instead.
        async with api_client(failing, session, partner("disbursement:write")) as c:
            requested = await c.post("/api/v1/applications", json=application(applicant, amount_fen=50_000))
        assert requested.status_code == 201, requested.text
        assert requested.json()["amount_source"] == "requested"
        assert len(stand_in.calls) == 1


async def test_a_wrong_internal_token_secret_is_503_not_a_500(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy]
) -> None:
    url, stand_in = policy_server
    app = create_service_app(
        build_spec(),
        settings.model_copy(
            update={
                "policy_url": url,
                "internal_token_secret": "not-the-shared-secret-though-long-enough-for-hs256",
            }
        ),
    )
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write")) as c:
        resp = await c.post("/api/v1/applications", json=application(ELIGIBLE))
    # The stand-in refuses the token the way svc-policy does (401): the caller is told svc-policy is unavailable.
    assert resp.status_code == 503 and resp.json()["code"] == "policy_unavailable", resp.text
    assert stand_in.principals == []
    assert await rows_for(session, ELIGIBLE) == (0, 0)


async def test_with_every_policy_replica_listed_one_that_is_down_is_passed_over(
    settings: Settings, session: AsyncSession, policy_server: tuple[str, StandInPolicy]
) -> None:
    url, stand_in = policy_server
    dead = f"http://127.0.0.1:{free_port()}"  # a replica that died: nobody listens there
    app = disbursement_app(settings, f"{dead}, {url}")
    await setup_policy(app, session)
    async with api_client(app, session, partner("disbursement:write")) as c:
        # The replicas are taken in turn: the first call starts at the dead one, the second at the live one.
        for applicant in (ELIGIBLE, NEEDS_CONFIRMATION):
            resp = await c.post("/api/v1/applications", json=application(applicant))
            assert resp.status_code == 201, resp.text
            assert resp.json()["amount_source"] == "computed"
    assert [call["entity_id"] for call in stand_in.calls] == [ELIGIBLE, NEEDS_CONFIRMATION]

    # Every replica down: 503 policy_unavailable, as with one, and nothing written.
    all_down = disbursement_app(settings, f"{dead},http://127.0.0.1:{free_port()}")
    async with api_client(all_down, session, partner("disbursement:write")) as c:
        resp = await c.post("/api/v1/applications", json=application(OVER_CAP))
    assert resp.status_code == 503 and resp.json()["code"] == "policy_unavailable", resp.text
    assert await rows_for(session, OVER_CAP) == (0, 0)
