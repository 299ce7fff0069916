"""Issue 7 §5 against the emulator process: an application in from 一企来办, its status back to the portal (a
failed callback retried until it lands, duplicates absorbed), policies pushed, enterprise lookup, 苏商通 SSO."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from kunruyi_common.events import EventBus
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_gateway.integrations.yiqilaiban.signature import signed_headers
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.infra import free_port, wait_for_port
from sqlalchemy import text

USCC = "91320583MA1XXXXX9M"


@pytest.fixture(scope="module")
def yqlb_gateway_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def emulator(yqlb_gateway_port: int) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kunruyi_emulators.yiqilaiban",
            "--port",
            str(port),
            "--gateway-url",
            f"http://127.0.0.1:{yqlb_gateway_port}",
        ],
        env={**os.environ, "KRY_YQLB_SECRET": "yqlb-test-secret"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
async def yqlb_gateway(  # type: ignore[no-untyped-def]
    gateway_settings: Settings, fake_services, emulator: str, yqlb_gateway_port: int, served_cls
) -> AsyncIterator[Any]:
    """A gateway with its background workers on (consumers, outbox relay, portal sender) and fast back-off."""
    from kunruyi_gateway.main import create_app

    settings = gateway_settings.model_copy(
        update={
            "upstream_policy_url": fake_services.url,
            "upstream_talent_url": fake_services.url,
            "upstream_disbursement_url": fake_services.url,
            "upstream_matching_url": fake_services.url,
            "yiqilaiban_url": emulator,
            "yiqilaiban_secret": "yqlb-test-secret",
            "run_background_workers": True,
            "delivery_poll_interval_s": 0.1,
            "delivery_base_backoff_s": 0.2,
            "delivery_max_backoff_s": 1.0,
            "delivery_timeout_s": 1.0,
            "yiqilaiban_timeout_s": 1.0,
        }
    )
    served = await served_cls(create_app(settings), yqlb_gateway_port).start()
    yield served
    await served.stop()


@pytest.fixture(scope="module")
async def publisher(settings: Settings) -> AsyncIterator[Callable[[str, dict[str, Any], str | None], Any]]:
    """Publishes events as svc-disbursement / svc-policy would."""
    bus = EventBus(settings.nats_url, name="test-yqlb-publisher")
    await bus.start()
    await bus.wait_connected()
    for producer in ("disbursement", "policy"):
        await ensure_stream(bus.js, stream_name(producer), stream_subjects(producer))

    async def publish(type_: str, data: dict[str, Any], event_id: str | None = None) -> None:
        event = CloudEvent(
            source=type_.split(".")[1], type=type_, data=data, **({"id": event_id} if event_id else {})
        )
        await bus.js.publish(type_, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})

    yield publish
    await bus.close()


async def _eventually(check: Callable[[], Any], within_s: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_round_trip_application_in_status_back_with_a_failed_callback_retried(  # type: ignore[no-untyped-def]
    yqlb_gateway, emulator, fake_services, publisher
) -> None:
    async with httpx.AsyncClient(base_url=emulator, timeout=20) as portal:
        await portal.post("/_control/reset")
        # The portal forwards an application, and (a portal retry) forwards it again.
        forwarded = (
            await portal.post(
                "/_control/forward-application",
                json={
                    "application_number": "YQLB20261121000001",
                    "policy_code": "KS-RC-001",
                    "applicant_type": "enterprise",
                    "applicant_id": USCC,
                    "period": "2026",
                    "amount_fen": 30000000,
                    "duplicate": True,
                },
            )
        ).json()
        first, again = forwarded["answers"]
        assert first["status"] == 201, first
        assert first["body"]["application_number"] == "YQLB20261121000001"
        platform = first["body"]["platform"]
        assert (
            again["status"] == 200 and again["body"]["platform"] == platform
        )  # the same application, not a second
        stored = fake_services.app.state.applications["yiqilaiban:YQLB20261121000001"]
        assert stored["body"] == {
            "policy_code": "KS-RC-001",
            "applicant_type": "enterprise",
            "applicant_id": USCC,
            "period": "2026",
            "amount_fen": 30000000,
            "channel": "yiqilaiban",
            "external_ref": "YQLB20261121000001",
        }
        assert stored["principal"].subject == "yiqilaiban"

        # The portal will fail the first two status callbacks.
        await portal.post("/_control/config", json={"fail_callbacks": 2})
        changed = {
            "application_id": platform["id"],
            "application_number": platform["application_number"],
            "policy_code": "KS-RC-001",
            "applicant_type": "enterprise",
            "applicant_id": USCC,
            "period": "2026",
            "status": "approved",
            "previous_status": "in_review",
            "channel": "yiqilaiban",
            "external_ref": "YQLB20261121000001",
            "comment": "审核通过",
            "actor": "reviewer-1",
            "changed_at": "2026-11-21T08:00:00Z",
        }
        event_id = str(uuid.uuid4())
        await publisher("kunruyi.disbursement.application.status_changed", changed, event_id)
        # A redelivered event and a second event for the same status change nothing.
        await publisher("kunruyi.disbursement.application.status_changed", changed, str(uuid.uuid4()))
        # Applications from other channels are not the portal's business.
        await publisher(
            "kunruyi.disbursement.application.status_changed",
            {**changed, "channel": "api", "external_ref": None, "status": "rejected"},
        )

        async def landed() -> list[dict[str, Any]] | None:
            got = (await portal.get("/_control/received")).json()["status_callbacks"]
            return got if any(c["outcome"] == "accepted" for c in got) else None

        callbacks = await _eventually(landed)
        assert [c["outcome"] for c in callbacks] == ["failed", "failed", "accepted"]
        assert {c["key"] for c in callbacks} == {"status:YQLB20261121000001:approved"}
        assert callbacks[-1]["data"]["status"] == "approved"
        assert callbacks[-1]["data"]["application_number"] == "YQLB20261121000001"
        assert callbacks[-1]["data"]["platform_application_number"] == platform["application_number"]
        await asyncio.sleep(0.5)  # nothing more arrives: no second delivery of the same status
        final = (await portal.get("/_control/received")).json()
        assert len(final["status_callbacks"]) == 3
        assert final["refused"] == []  # every call from the gateway carried a valid portal signature


async def test_a_callback_the_portal_is_too_slow_to_answer_is_sent_again_and_lands_once(  # type: ignore[no-untyped-def]
    yqlb_gateway, emulator, publisher, engine
) -> None:
    """The portal takes longer than the gateway waits: the gateway counts it as failed and sends it again with the
    same idempotency key; the portal ends up with one accepted status (a late first copy shows as a duplicate)."""
    async with httpx.AsyncClient(base_url=emulator, timeout=20) as portal:
        await portal.post("/_control/reset")
        await portal.post("/_control/config", json={"slow_callback_s": 3.0, "slow_callbacks": 1})
        number = f"YQLB-SLOW-{uuid.uuid4().hex[:8]}"
        await publisher(
            "kunruyi.disbursement.application.status_changed",
            {
                "application_number": "SB2026000099",
                "policy_code": "KS-RC-001",
                "status": "in_review",
                "previous_status": "submitted",
                "channel": "yiqilaiban",
                "external_ref": number,
                "changed_at": "2026-11-21T08:00:00Z",
            },
            None,
        )

        async def delivered() -> Any:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        text(
                            "SELECT attempts, delivered_at FROM outbound_deliveries WHERE idempotency_key = :k"
                        ),
                        {"k": f"status:{number}:in_review"},
                    )
                ).first()
            return row if row is not None and row.delivered_at is not None else None

        row = await _eventually(delivered)
        assert row.attempts >= 2  # the first attempt timed out and was retried

        async def landed() -> dict[str, Any] | None:
            got: dict[str, Any] = (await portal.get("/_control/received")).json()
            return got if any(c["outcome"] == "accepted" for c in got["status_callbacks"]) else None

        received = await _eventually(landed)
        # Whichever copy the portal finished first was accepted; any other copy is a duplicate of it.
        callbacks = received["status_callbacks"]
        assert {c["key"] for c in callbacks} == {f"status:{number}:in_review"}
        assert [c["outcome"] for c in callbacks].count("accepted") == 1
        assert {c["outcome"] for c in callbacks} <= {"accepted", "duplicate"}
        assert received["refused"] == []


async def test_published_policies_reach_the_policy_library(yqlb_gateway, emulator, publisher) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=emulator, timeout=20) as portal:
        await portal.post("/_control/reset")
        await portal.post("/_control/config", json={"reject_policies": 1})
        policy = {
            "code": "KS-RC-099",
            "title": "首台（套）装备奖励",
            "department": "工信局",
            "mode": "application",
            "beneficiary": "enterprise",
            "version": 1,
            "annual_budget_fen": 100000000,
            "max_amount_fen": 5000000,
            "valid_from": "2026-01-01",
            "valid_to": None,
            "status": "published",
        }
        await publisher("kunruyi.policy.policy.published", policy, None)

        async def received() -> list[dict[str, Any]] | None:
            got = (await portal.get("/_control/received")).json()["policies"]
            return got or None

        policies = await _eventually(received)
        assert policies[0]["code"] == "KS-RC-099" and policies[0]["title"] == "首台（套）装备奖励"


async def test_inbound_refusals(yqlb_gateway) -> None:  # type: ignore[no-untyped-def]
    path = "/integrations/yiqilaiban/applications"
    body = json.dumps(
        {
            "application_number": "YQLB-X",
            "policy_code": "KS-RC-001",
            "applicant_id": USCC,
            "period": "2026",
            "amount_fen": 1,
        }
    ).encode()
    async with httpx.AsyncClient(base_url=yqlb_gateway.url) as c:
        resp = await c.post(path, content=body)
        assert resp.status_code == 401 and resp.json()["code"] == "missing_credentials"
        wrong = signed_headers("kunruyi", "not-the-secret", "POST", path, body)
        resp = await c.post(path, content=body, headers=wrong)
        assert resp.status_code == 401 and resp.json()["code"] == "invalid_signature"
        other_app = signed_headers("someone-else", "yqlb-test-secret", "POST", path, body)
        resp = await c.post(path, content=body, headers=other_app)
        assert resp.status_code == 401 and resp.json()["code"] == "unknown_app_key"
        good = signed_headers("kunruyi", "yqlb-test-secret", "POST", path, body)
        assert (await c.post(path, content=body, headers=good)).status_code == 201
        resp = await c.post(path, content=body, headers=good)
        assert resp.status_code == 401 and resp.json()["code"] == "replayed_request"
        bad_body = b'{"application_number": ""}'
        resp = await c.post(
            path,
            content=bad_body,
            headers=signed_headers("kunruyi", "yqlb-test-secret", "POST", path, bad_body),
        )
        assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
        unknown = json.dumps(
            {
                "application_number": "YQLB-Y",
                "policy_code": "NO-SUCH-POLICY",
                "applicant_id": USCC,
                "period": "2026",
                "amount_fen": 1,
            }
        ).encode()
        resp = await c.post(
            path,
            content=unknown,
            headers=signed_headers("kunruyi", "yqlb-test-secret", "POST", path, unknown),
        )
        assert resp.status_code == 404 and resp.json()["code"] == "policy_not_found"


async def test_enterprise_lookup_for_staff(yqlb_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=yqlb_gateway.url) as c:
        path = f"/api/v1/integrations/yiqilaiban/enterprises/{USCC}"
        resp = await c.get(path, headers={"Authorization": f"Bearer {staff_token('officer')}"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["uscc"] == USCC and resp.json()["name"].startswith("昆山")
        assert (await c.get(path)).status_code == 401
        broker = await c.get(path, headers={"Authorization": f"Bearer {staff_token('broker')}"})
        assert broker.status_code == 403
        bad = await c.get(
            "/api/v1/integrations/yiqilaiban/enterprises/123",
            headers={"Authorization": f"Bearer {staff_token('officer')}"},
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_uscc"


async def test_a_failing_or_slow_portal_is_503_for_lookups_and_sign_on(  # type: ignore[no-untyped-def]
    yqlb_gateway, emulator, staff_token
) -> None:
    officer = {"Authorization": f"Bearer {staff_token('officer')}"}
    path = f"/api/v1/integrations/yiqilaiban/enterprises/{USCC}"
    async with (
        httpx.AsyncClient(base_url=emulator, timeout=20) as portal,
        httpx.AsyncClient(base_url=yqlb_gateway.url, timeout=20) as c,
    ):
        await portal.post("/_control/reset")
        await portal.post("/_control/config", json={"fail_lookups": 1})
        failed = await c.get(path, headers=officer)
        assert failed.status_code == 503 and failed.json()["code"] == "upstream_unavailable", failed.text
        assert failed.headers["retry-after"]
        assert (await c.get(path, headers=officer)).status_code == 200  # the portal is back
        await portal.post("/_control/config", json={"slow_lookup_s": 5.0})  # longer than the gateway waits
        slow = await c.get(path, headers=officer)
        assert slow.status_code == 503 and slow.json()["code"] == "upstream_unavailable", slow.text

        await portal.post("/_control/config", json={"fail_sso": 1})
        ticket = (
            await portal.post(
                "/_control/sso-tickets",
                json={"user_type": "staff", "subject": "u-2002", "name": "李科长", "roles": ["officer"]},
            )
        ).json()["ticket"]
        down = await c.post("/integrations/sushangtong/sso", json={"ticket": ticket})
        assert down.status_code == 503 and down.json()["code"] == "upstream_unavailable", down.text
        # The failed check did not use the ticket up: the user's retry signs them in.
        again = await c.post("/integrations/sushangtong/sso", json={"ticket": ticket})
        assert again.status_code == 200 and again.json()["roles"] == ["officer"], again.text


async def test_sushangtong_sso_exchanges_a_ticket_for_a_session(yqlb_gateway, emulator) -> None:  # type: ignore[no-untyped-def]
    async with (
        httpx.AsyncClient(base_url=emulator) as portal,
        httpx.AsyncClient(base_url=yqlb_gateway.url) as c,
    ):
        ticket = (
            await portal.post(
                "/_control/sso-tickets",
                json={
                    "user_type": "staff",
                    "subject": "u-1001",
                    "name": "周主任",
                    "roles": ["approver"],
                    "department": "科技局",
                },
            )
        ).json()["ticket"]
        session = await c.post("/integrations/sushangtong/sso", json={"ticket": ticket})
        assert session.status_code == 200, session.text
        assert session.json()["roles"] == ["approver"]
        token = session.json()["token"]
        resp = await c.get("/api/v1/disbursements", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200  # the session token works as a staff bearer token
        again = await c.post("/integrations/sushangtong/sso", json={"ticket": ticket})
        assert again.status_code == 401 and again.json()["code"] == "invalid_sso_ticket"

        ticket = (
            await portal.post(
                "/_control/sso-tickets",
                json={"user_type": "enterprise", "subject": "e-77", "name": "昆山示例芯片", "uscc": USCC},
            )
        ).json()["ticket"]
        session = await c.post("/integrations/sushangtong/sso", json={"ticket": ticket})
        assert session.json()["user_type"] == "enterprise" and session.json()["uscc"] == USCC
        # An enterprise session is not staff: it reaches its own records only, never the whole list.
        bearer = {"Authorization": f"Bearer {session.json()['token']}"}
        resp = await c.get("/api/v1/disbursements", headers=bearer)
        assert resp.status_code == 403 and resp.json()["code"] == "not_own_entity"
        resp = await c.get("/api/v1/budgets", headers=bearer)
        assert resp.status_code == 403 and resp.json()["code"] == "not_own_entity"
