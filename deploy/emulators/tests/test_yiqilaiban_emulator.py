"""The 一企来办 emulator on its own: signature checks, configurable failures, duplicates, lookup, SSO."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import httpx
from kunruyi_emulators.yiqilaiban import create_app
from kunruyi_emulators.yiqilaiban_signing import signed_headers
from kunruyi_launcher.infra import free_port, wait_for_port

APP_ID, SECRET = "kunruyi", "s"


def _client() -> httpx.AsyncClient:
    app = create_app(app_id=APP_ID, secret=SECRET, gateway_url="http://127.0.0.1:9")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")


async def _signed_post(
    c: httpx.AsyncClient, path: str, payload: dict[str, object], **extra: str
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await c.post(
        path, content=body, headers={**signed_headers(APP_ID, SECRET, "POST", path, body), **extra}
    )


async def test_callbacks_need_the_portal_signature_and_can_fail_and_duplicate() -> None:
    async with _client() as c:
        path = "/api/callbacks/application-status"
        unsigned = await c.post(path, json={"application_number": "A", "status": "approved"})
        assert unsigned.status_code == 401
        body = json.dumps({"application_number": "A"}).encode()
        forged = signed_headers(APP_ID, "wrong", "POST", path, body)
        assert (await c.post(path, content=body, headers=forged)).status_code == 401
        await c.post("/_control/config", json={"fail_callbacks": 1})
        key = {"X-YQLB-Idempotency-Key": "status:A:approved"}
        assert (await _signed_post(c, path, {"application_number": "A"}, **key)).status_code == 503
        assert (await _signed_post(c, path, {"application_number": "A"}, **key)).json()["duplicate"] is False
        assert (await _signed_post(c, path, {"application_number": "A"}, **key)).json()["duplicate"] is True
        got = (await c.get("/_control/received")).json()
        assert [x["outcome"] for x in got["status_callbacks"]] == ["failed", "accepted", "duplicate"]
        assert [x["reason"] for x in got["refused"]] == ["missing_credentials", "invalid_signature"]


async def test_a_replayed_signed_call_is_refused() -> None:
    async with _client() as c:
        path = "/api/callbacks/application-status"
        body = json.dumps({"application_number": "B", "status": "approved"}).encode()
        headers = signed_headers(APP_ID, SECRET, "POST", path, body)
        assert (await c.post(path, content=body, headers=headers)).status_code == 200
        replay = await c.post(path, content=body, headers=headers)
        assert replay.status_code == 401 and replay.json()["code"] == "replayed_request"
        fresh = signed_headers(APP_ID, SECRET, "POST", path, body)
        assert (await c.post(path, content=body, headers=fresh)).json()["duplicate"] is True
        got = (await c.get("/_control/received")).json()
        assert [x["reason"] for x in got["refused"]] == ["replayed_request"]


async def test_enterprise_lookup_and_single_use_sso_tickets() -> None:
    async with _client() as c:
        path = "/api/enterprises/91320583MA1XXXXX9M"
        found = await c.get(path, headers=signed_headers(APP_ID, SECRET, "GET", path, b""))
        assert found.status_code == 200 and found.json()["uscc"] == "91320583MA1XXXXX9M"
        for missing in ("/api/enterprises/nope", "/api/enterprises/91320583MA1XXXXXXK"):  # bad GB 11714 check
            assert (
                await c.get(missing, headers=signed_headers(APP_ID, SECRET, "GET", missing, b""))
            ).status_code == 404
        ticket = (
            await c.post("/_control/sso-tickets", json={"user_type": "staff", "subject": "u", "name": "n"})
        ).json()
        first = await _signed_post(c, "/api/sso/verify", ticket)
        assert first.status_code == 200 and first.json()["user"]["subject"] == "u"
        assert (await _signed_post(c, "/api/sso/verify", ticket)).status_code == 400


async def test_lookups_and_sso_checks_can_fail_on_request() -> None:
    async with _client() as c:
        await c.post("/_control/config", json={"fail_lookups": 1, "fail_sso": 1})
        path = "/api/enterprises/91320583MA1XXXXX9M"
        signed = signed_headers(APP_ID, SECRET, "GET", path, b"")
        assert (await c.get(path, headers=signed)).status_code == 503
        again = signed_headers(APP_ID, SECRET, "GET", path, b"")
        assert (await c.get(path, headers=again)).status_code == 200
        ticket = (
            await c.post("/_control/sso-tickets", json={"user_type": "staff", "subject": "u", "name": "n"})
        ).json()
        assert (await _signed_post(c, "/api/sso/verify", ticket)).status_code == 503
        # The failed check kept the ticket: it still works once.
        assert (await _signed_post(c, "/api/sso/verify", ticket)).status_code == 200
        assert (await _signed_post(c, "/api/sso/verify", ticket)).status_code == 400


def test_runs_as_its_own_process() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kunruyi_emulators.yiqilaiban", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(10)
