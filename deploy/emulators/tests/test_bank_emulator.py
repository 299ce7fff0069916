"""The bank emulator as its own process: idempotent instructions, signed callbacks (duplicated and out of order on
request), polling, daily statements, timeouts and injected statement mismatches."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from kunruyi_launcher.infra import free_port, wait_for_port

SECRET = "emulator-test-secret"


class Receiver:
    """A callback endpoint in the test's own event loop that records what the bank sends."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        app = FastAPI()

        @app.post("/callbacks")
        async def callbacks(request: Request) -> dict[str, str]:
            body = await request.body()
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if request.headers.get("x-bank-signature") != expected:
                self.bad_signatures += 1
            payload = json.loads(body)
            self.received.extend(payload["events"] if "events" in payload else [payload])
            return {"status": "ok"}

        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    task = asyncio.create_task(r.server.serve())
    await wait_for(lambda: r.server.started)
    yield r
    r.server.should_exit = True
    await task


@pytest.fixture(scope="module")
def bank(receiver: Receiver) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "KRY_BANK_LATENCY_MS": "10", "KRY_BANK_SEED": "7"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kunruyi_emulators.bank",
            "--port",
            str(port),
            "--callback-url",
            f"http://127.0.0.1:{receiver.port}/callbacks",
            "--callback-secret",
            SECRET,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def instruction(reference: str | None = None, amount: int = 12_345, **payee: Any) -> dict[str, Any]:
    return {
        "reference": reference or str(uuid.uuid4()),
        "amount_fen": amount,
        "payee": {
            "mode": "account",
            "entity_type": "enterprise",
            "entity_id": "91320583MA1XXXXX0X",
            "account_name": "测试公司",
            "account_number": "6222021234567890123",
            "bank_name": "测试银行",
            **payee,
        },
    }


async def wait_for(predicate: Any, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


async def test_instruction_is_idempotent_by_reference(bank: str, receiver: Receiver) -> None:
    async with httpx.AsyncClient(base_url=bank) as c:
        await c.post("/_control", json={"duplicate_callbacks": False, "out_of_order_callbacks": False})
        body = instruction()
        first = await c.post("/payments", json=body)
        again = await c.post("/payments", json=body)
        clash = await c.post("/payments", json={**body, "amount_fen": 1})
        invalid = await c.post("/payments", json={**body, "reference": "x", "amount_fen": 0})
        unknown = await c.get(f"/payments/{uuid.uuid4()}")
        assert first.status_code == 201 and again.status_code == 200 and again.json()["duplicate"] is True
        assert (
            first.json()["reference"] == again.json()["reference"] and again.json()["instruction_count"] == 2
        )
        assert clash.status_code == 409 and invalid.status_code == 422 and unknown.status_code == 404
        assert "6222021234567890123" not in first.text and first.json()["payee"][
            "account_number_masked"
        ].endswith("0123")
        await wait_for(lambda: any(e["reference"] == body["reference"] for e in receiver.received))
        status = (await c.get(f"/payments/{body['reference']}")).json()
        assert status["status"] == "settled" and status["sequence"] == 2
    mine = [e for e in receiver.received if e["reference"] == body["reference"]]
    assert [e["status"] for e in mine] == ["settled"] and receiver.bad_signatures == 0


async def test_duplicate_and_out_of_order_callbacks_on_request(bank: str, receiver: Receiver) -> None:
    async with httpx.AsyncClient(base_url=bank) as c:
        await c.post(
            "/_control",
            json={"duplicate_callbacks": True, "out_of_order_callbacks": True, "return_rate": 1.0},
        )
        body = instruction()
        assert (await c.post("/payments/batch", json={"instructions": [body]})).json()["results"][0][
            "http_status"
        ] == 201
        await wait_for(lambda: sum(e["reference"] == body["reference"] for e in receiver.received) == 6)
        await c.post(
            "/_control",
            json={"duplicate_callbacks": False, "out_of_order_callbacks": False, "return_rate": 0},
        )
    sequence = [
        (e["status"], e["sequence"]) for e in receiver.received if e["reference"] == body["reference"]
    ]
    # Newest first, each twice, then a stale acknowledgement.
    assert sequence == [
        ("returned", 3),
        ("returned", 3),
        ("settled", 2),
        ("settled", 2),
        ("accepted", 1),
        ("accepted", 1),
    ]


async def test_timeouts_leave_the_payment_recorded(bank: str) -> None:
    async with httpx.AsyncClient(base_url=bank) as c:
        await c.post("/_control", json={"timeout_rate": 1.0, "timeout_s": 2.0})
        body = instruction()
        with pytest.raises(httpx.TimeoutException):
            await c.post("/payments", json=body, timeout=0.3)
        await c.post("/_control", json={"timeout_rate": 0.0})
        retry = await c.post("/payments", json=body)
        assert retry.status_code == 200 and retry.json()["duplicate"] is True


async def test_statement_and_injected_mismatches(bank: str, receiver: Receiver) -> None:
    today = datetime.now(UTC).date().isoformat()
    async with httpx.AsyncClient(base_url=bank) as c:
        await c.post("/_control", json={"failure_rate": 0.0})
        kept, omitted, changed = instruction(amount=100), instruction(amount=200), instruction(amount=300)
        for body in (kept, omitted, changed):
            await c.post("/payments", json=body)
        refs = {b["reference"] for b in (kept, omitted, changed)}
        await wait_for(lambda: refs <= {e["reference"] for e in receiver.received})
        phantom = str(uuid.uuid4())
        await c.post(
            "/_control/inject", json={"kind": "omit_from_statement", "reference": omitted["reference"]}
        )
        await c.post(
            "/_control/inject",
            json={"kind": "amount_mismatch", "reference": changed["reference"], "amount_fen": 299},
        )
        await c.post(
            "/_control/inject", json={"kind": "phantom_settlement", "reference": phantom, "amount_fen": 5}
        )
        statement = (await c.get(f"/statements/{today}")).json()
    entries = {e["reference"]: e for e in statement["entries"]}
    assert kept["reference"] in entries and omitted["reference"] not in entries
    assert entries[changed["reference"]]["amount_fen"] == 299 and entries[phantom]["amount_fen"] == 5
    assert statement["net_paid_fen"] == sum(
        e["amount_fen"] for e in entries.values() if e["status"] == "settled"
    )


def _start_bank(port: int, state_file: str, callback_port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kunruyi_emulators.bank",
            "--port",
            str(port),
            "--callback-url",
            f"http://127.0.0.1:{callback_port}/callbacks",
            "--callback-secret",
            SECRET,
            "--state-file",
            state_file,
        ],
        env={**os.environ, "KRY_BANK_LATENCY_MS": "10", "KRY_BANK_SEED": "7"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def test_a_killed_and_restarted_bank_remembers_what_it_paid(receiver: Receiver, tmp_path: Any) -> None:
    port = free_port()
    state_file = str(tmp_path / "bank.jsonl")
    proc = _start_bank(port, state_file, receiver.port)
    references = [str(uuid.uuid4()) for _ in range(3)]
    try:
        wait_for_port("127.0.0.1", port, timeout=20)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            for ref in references:
                assert (await c.post("/payments", json=instruction(ref, amount=50_000))).status_code == 201
            for ref in references:
                await wait_for_async(lambda r=ref: _status(c, r), "settled")
            today = datetime.now(UTC).date().isoformat()
            before = (await c.get(f"/statements/{today}")).json()
    finally:
        proc.kill()  # SIGKILL: no chance to save anything on the way out
        proc.wait(10)

    proc = _start_bank(port, state_file, receiver.port)
    try:
        wait_for_port("127.0.0.1", port, timeout=20)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            after = (await c.get(f"/statements/{today}")).json()
            assert {e["reference"] for e in after["entries"]} >= set(references)
            assert after["net_paid_fen"] == before["net_paid_fen"]
            for ref in references:
                assert (await c.get(f"/payments/{ref}")).json()["status"] == "settled"
            # The same instruction sent again after the restart is a duplicate, not a second payment.
            again = await c.post("/payments", json=instruction(references[0], amount=50_000))
            assert again.status_code == 200 and again.json()["duplicate"] is True
            other = await c.post("/payments", json=instruction(references[0], amount=1))
            assert other.status_code == 409
    finally:
        proc.terminate()
        proc.wait(10)


async def _status(c: httpx.AsyncClient, reference: str) -> str:
    return str((await c.get(f"/payments/{reference}")).json()["status"])


async def wait_for_async(get: Any, expected: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if await get() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"status never became {expected}")


async def test_callbacks_go_on_to_the_next_receiver_when_one_is_down(bank: str, receiver: Receiver) -> None:
    """``callback_url`` lists every replica of svc-disbursement: a replica that died is passed over."""
    dead = f"http://127.0.0.1:{free_port()}/callbacks"  # nobody listens there
    alive = f"http://127.0.0.1:{receiver.port}/callbacks"
    async with httpx.AsyncClient(base_url=bank) as c:
        control = (await c.get("/_control")).json()
        before, failed_before = control["config"], control["stats"]["callbacks_failed"]
        await c.post("/_control", json={"callback_url": f"{dead},{alive}", "duplicate_callbacks": False})
        try:
            references = [str(uuid.uuid4()) for _ in range(3)]
            for reference in references:
                assert (await c.post("/payments", json=instruction(reference))).status_code == 201
            # Whichever URL a delivery starts at, every payment's callbacks reach the live receiver.
            await wait_for(lambda: set(references) <= {e["reference"] for e in receiver.received})
            assert (await c.get("/_control")).json()["stats"]["callbacks_failed"] == failed_before
        finally:
            await c.post("/_control", json={"callback_url": before["callback_url"]})
