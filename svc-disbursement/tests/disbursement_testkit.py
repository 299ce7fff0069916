"""A real running slice for end-to-end tests: a committed database, the bank emulator and the service, each its
own process, talking over HTTP and NATS."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from fastapi import FastAPI
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.infra import free_port, wait_for_port
from kunruyi_launcher.stack import Infra, RunningApp, app_env
from kunruyi_launcher.testing import principal_headers, staff

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "test-logs" / "disbursement"
SECRET = "test-bank-callback-secret"
DISBURSEMENT = next(a for a in APPS if a.name == "disbursement")


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """``app`` (a stand-in for another service) served by uvicorn on a free port of this process; its base URL."""
    from uvicorn import Config, Server

    port = free_port()
    server = Server(Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class BankEmulator:
    def __init__(self, callback_url: str, *, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(LOG_DIR / f"bank-{self.port}.log", "ab")
        import os

        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kunruyi_emulators.bank",
                "--port",
                str(self.port),
                "--callback-url",
                callback_url,
                "--callback-secret",
                SECRET,
            ],
            env={**os.environ, **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port, timeout=20)

    def control(self, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = httpx.post(f"{self.url}/_control", json=changes).json()
        return result

    def inject(self, **injection: Any) -> None:
        httpx.post(f"{self.url}/_control/inject", json=injection).raise_for_status()

    def payment(self, reference: str) -> dict[str, Any] | None:
        resp = httpx.get(f"{self.url}/payments/{reference}")
        return None if resp.status_code == 404 else resp.json()

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.url}/_control").json()["stats"]
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@dataclass
class ServiceProcess:
    infra: Infra
    db_url: str
    bank_url: str
    port: int = field(default_factory=free_port)
    app: RunningApp | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **settings: str) -> RunningApp:
        extra = {
            "KRY_DISBURSEMENT_DATABASE_URL": self.db_url,
            "KRY_DISBURSEMENT_BANK_URL": self.bank_url,
            "KRY_DISBURSEMENT_BANK_CALLBACK_SECRET": SECRET,
            "KRY_DISBURSEMENT_PAYMENT_RETRY_BASE_S": "0.5",
            "KRY_DISBURSEMENT_PAYMENT_POLL_AFTER_S": "2",
            "KRY_DISBURSEMENT_OUTBOX_POLL_INTERVAL_S": "0.1",
            "KRY_DISBURSEMENT_AWAITING_BUDGET_SWEEP_S": "0.5",
            "KRY_DISBURSEMENT_ATTACHMENTS_DIR": str(LOG_DIR / "attachments"),
        }
        extra.update({f"KRY_DISBURSEMENT_{k.upper()}": v for k, v in settings.items()})
        env = app_env(
            DISBURSEMENT,
            self.infra,
            {a.name: a.port for a in APPS} | {"disbursement": self.port},
            LOG_DIR,
            extra,
        )
        self.app = RunningApp(DISBURSEMENT, self.port, env, LOG_DIR / f"disbursement-{self.port}.log")
        self.app.start()
        return self.app

    def stop(self) -> None:
        if self.app is not None:
            self.app.stop()

    def client(self, *roles: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url,
            headers=principal_headers(staff(*roles, department="科技局", subject="tester")),
            timeout=30,
        )


async def publish_events(
    nats_url: str, events: list[CloudEvent], *, msg_ids: list[str] | None = None
) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_name("policy"), stream_subjects("policy"))
        for i, event in enumerate(events):
            msg_id = msg_ids[i] if msg_ids else event.id
            await js.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


def entitlement_event(
    policy_code: str,
    entity_id: str,
    amount_fen: int,
    *,
    period: str = "2026",
    entity_type: str = "enterprise",
    event_id: str | None = None,
    sequence: int = 0,
    loan_keys: list[str] | None = None,
) -> CloudEvent:
    """svc-policy's event; ``sequence`` ≥ 1 a supplement (补充认定) of the period's entitlement, with its own id."""
    name = f"{policy_code}|{entity_type}|{entity_id}|{period}"
    original = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    entitlement_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}|{sequence}")) if sequence else original
    extra: dict[str, Any] = {}
    if sequence:
        extra = {"sequence": sequence, "supplement_of": original, "loan_keys": loan_keys}
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="policy",
        type="kunruyi.policy.entitlement.determined",
        subject=entitlement_id,
        data={
            "entitlement_id": entitlement_id,
            "policy_code": policy_code,
            "policy_title": "测试政策",
            "department": "科技局",
            "version": 3,
            "period": period,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "amount_fen": amount_fen,
            "mode": "automatic",
            "trace_digest": "0" * 64,
            **extra,
        },
    )


async def wait_until(
    check: Callable[[], Awaitable[Any]], *, within: float = 30.0, interval: float = 0.1
) -> Any:
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within}s (last: {json.dumps(last, default=str)[:500]})")


def make_uscc(n: int) -> str:
    from kunruyi_common.validators import build_uscc

    return build_uscc(f"{n:08d}")


def sign(body: bytes, secret: str = SECRET) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
