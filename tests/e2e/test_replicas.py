"""Two replicas of a service behind the gateway (issue 14 §1), started the way ``make run REPLICAS=2`` starts
them: svc-policy and svc-matching as two processes each on one PostgreSQL and one NATS of this module's own (a
second full platform would cost twice the start-up; these two services carry what is checked here).

- one replica of svc-policy is SIGKILLed under a stream of catalog reads: no read answers 5xx, the gateway ejects
  the dead replica and the survivor answers everything;
- one replica of svc-matching is SIGKILLed under demand submissions with Idempotency-Key, each retried with its
  key until it is answered: every key is exactly one demand;
- a supply written through one matching replica is found through the other once its index has refreshed (each
  replica's index refreshes from the database);
- the exclusive periodic job (broker assignment, every 0.5 s here) is ticked by both replicas through the kit's
  PeriodicTask and runs once per tick across them: the kit's ``periodic_runs`` row counts the runs, and the runs
  are never closer than the interval (``kunruyi_periodic_ticks_total``: ``ran`` on the replica that ran it,
  ``skipped`` on the other — lock held or not due; never ``failed``).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from kunruyi_common.auth import Principal
from kunruyi_gateway.settings import Settings as GatewaySettings
from kunruyi_gateway.staff.tokens import GatewayIssuer
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.infra import free_port, with_database
from kunruyi_launcher.pytest_plugin import TEST_ROOT
from kunruyi_launcher.stack import Infra, Platform, migrate_all, start_apps, start_infra
from kunruyi_launcher.testing import principal_headers

from .conftest import new_uscc, periodic_ticks

NEEDED = {"policy", "matching", "gateway"}
ASSIGNMENT_INTERVAL_S = 0.5  # the exclusive periodic job checked here
SUBMITTER = Principal(kind="staff", subject="e2e-replicas", name="副本测试", roles=["officer"])


class _Ready(BaseHTTPRequestHandler):
    """Stands in for the services this module does not start: ready, and an empty answer to anything."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[Infra, Platform]]:
    # Under the run's own var/test/<pid>/ (removed with it), not pytest's shared temporary directory: another run
    # on this machine may prune that while this module's PostgreSQL still uses it.
    data_dir: Path = TEST_ROOT / str(os.getpid()) / "replicas"
    shutil.rmtree(data_dir, ignore_errors=True)
    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    infra = start_infra(data_dir, fast_unsafe=True, log=lambda _m: None)
    platform = None
    try:
        apps = [a for a in APPS if a.name in NEEDED]
        migrate_all(infra, apps, recreate=True)
        # The gateway's other upstreams (its readiness asks each) answer from the stand-in.
        ports = {a.name: stand_in.server_port for a in APPS} | {a.name: free_port() for a in apps}
        extra_env = {
            "KRY_GATEWAY_DEV_ISSUER_DIR": str(GatewaySettings().dev_issuer_dir),
            "KRY_MATCHING_ASSIGNMENT_INTERVAL_S": str(ASSIGNMENT_INTERVAL_S),
            "KRY_GATEWAY_UPSTREAM_EJECT_S": "3",
        }
        platform = start_apps(
            infra,
            data_dir / "log",
            ports=ports,
            apps=apps,
            extra_env=extra_env,
            timeout=120,
            replicas=2,
            emulators=False,
        )
        yield infra, platform
    finally:
        if platform is not None:
            platform.stop()
        infra.stop()
        stand_in.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def gateway(replicated: tuple[Infra, Platform]) -> Iterator[httpx.Client]:
    _, platform = replicated
    settings = GatewaySettings()
    token = GatewayIssuer.for_settings(settings).mint(
        issuer=settings.dev_issuer,
        audience=settings.oidc_audience,
        subject="e2e-replicas",
        ttl_s=3600,
        name="副本测试",
        roles=["officer"],
        department="科创发展服务中心",
    )
    with httpx.Client(
        base_url=platform.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    ) as client:
        yield client


def test_the_gateway_lists_every_replica(replicated: tuple[Infra, Platform]) -> None:
    _, platform = replicated
    for name in ("policy", "matching"):
        urls = [r.upstream_url for r in platform.replicas(name)]
        assert len(urls) == 2 and len(set(urls)) == 2
        assert platform.apps["gateway"].env[f"KRY_GATEWAY_UPSTREAM_{name.upper()}_URL"] == ",".join(urls)


def test_a_supply_written_through_one_replica_is_found_through_the_other(
    replicated: tuple[Infra, Platform],
) -> None:
    _, platform = replicated
    first, second = platform.replicas("matching")
    headers = principal_headers(SUBMITTER)
    marker = f"副本一致性{uuid.uuid4().hex[:6]}"
    for writer, reader in ((first, second), (second, first)):
        name = f"{marker}{writer.replica}号伺服电机精密控制"
        written = httpx.post(
            f"{writer.url}/api/v1/supply",
            headers=headers,
            json={
                "kind": "result",
                "natural_key": f"{marker}-{writer.replica}",
                "name": name,
                "summary": f"{marker} 伺服电机 高精度 位置控制",
                "industry_chain": "集成电路",
                "technical_field": "集成电路设计",
            },
            timeout=30,
        )
        assert written.status_code == 201, written.text
        supply_id = written.json()["id"]
        deadline = time.monotonic() + 30
        found: list[str] = []
        while time.monotonic() < deadline and supply_id not in found:
            page = httpx.get(
                f"{reader.url}/api/v1/supply/search",
                headers=headers,
                params={"q": f"{marker} 伺服电机", "kind": "result"},
                timeout=30,
            )
            assert page.status_code == 200, page.text
            found = [item["supply"]["id"] for item in page.json()["items"]]
            time.sleep(0.3)
        assert supply_id in found, (
            f"written through replica {writer.replica}, not found through {reader.replica}"
        )


def test_killing_a_policy_replica_under_reads_costs_no_error(
    replicated: tuple[Infra, Platform], gateway: httpx.Client
) -> None:
    _, platform = replicated
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=str(gateway.base_url), headers=gateway.headers, timeout=30.0) as client:
            while not stop.is_set():
                statuses.append(client.get("/api/v1/policies").status_code)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        while len(statuses) < 40:
            time.sleep(0.05)
        before_kill = len(statuses)
        platform.replicas("policy")[1].kill()
        while len(statuses) < before_kill + 120:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    errors = [s for s in statuses if s >= 500]
    assert not errors, f"{len(errors)} of {len(statuses)} reads answered 5xx: {sorted(set(errors))}"
    assert set(statuses) == {200}
    # The gateway took the dead replica out of rotation (and says so in its metrics).
    metrics_url = platform.apps["gateway"].metrics_url
    assert metrics_url
    with urllib.request.urlopen(metrics_url, timeout=5) as resp:
        text = resp.read().decode()
    ejections = re.search(r'kunruyi_gateway_upstream_ejections_total\{upstream="policy"\} (\S+)', text)
    assert ejections and float(ejections.group(1)) >= 1, "no ejection of the dead policy replica"


def test_killing_a_matching_replica_under_keyed_posts_creates_each_record_once(
    replicated: tuple[Infra, Platform], gateway: httpx.Client
) -> None:
    infra, platform = replicated
    marker = f"副本幂等{uuid.uuid4().hex[:8]}"
    keys = [str(uuid.uuid4()) for _ in range(30)]
    answered: dict[str, str] = {}
    retried = 0

    def submit(key: str, n: int) -> None:
        nonlocal retried
        body = {
            "enterprise_uscc": new_uscc(),
            "title": f"{marker} 第{n}号",
            "description": "精密伺服控制算法攻关，定位精度提升到 ±1 μm。",
            "industry_chain": "集成电路",
            "technical_field": "集成电路设计",
            "demand_type": "技术攻关",
        }
        deadline = time.monotonic() + 60
        while True:
            resp = gateway.post("/api/v1/demands", json=body, headers={"Idempotency-Key": key})
            if resp.status_code == 201:
                answered[key] = resp.json()["id"]
                return
            # A submission cut off by the kill is answered 503: the caller sends it again with the same key.
            assert resp.status_code == 503 and time.monotonic() < deadline, resp.text
            retried += 1
            time.sleep(0.2)

    for n, key in enumerate(keys[:10]):
        submit(key, n)
    platform.replicas("matching")[1].kill()
    for n, key in enumerate(keys[10:], start=10):
        submit(key, n)
    # Every key sent once more: the same demand comes back (answered from the key's record), none is added.
    for n, key in enumerate(keys):
        submit_again = gateway.post(
            "/api/v1/demands",
            json={
                "enterprise_uscc": new_uscc(),
                "title": f"{marker} 第{n}号",
                "description": "精密伺服控制算法攻关，定位精度提升到 ±1 μm。",
                "industry_chain": "集成电路",
                "technical_field": "集成电路设计",
                "demand_type": "技术攻关",
            },
            headers={"Idempotency-Key": key},
        )
        assert submit_again.status_code in (201, 409, 422), submit_again.text
        if submit_again.status_code == 201:
            assert submit_again.json()["id"] == answered[key]

    async def count() -> int:
        conn = await asyncpg.connect(
            with_database(infra.database_admin_url, "kunruyi_matching").replace("+asyncpg", "")
        )
        try:
            return int(await conn.fetchval("SELECT count(*) FROM demands WHERE title LIKE $1", f"{marker}%"))
        finally:
            await conn.close()

    assert len(set(answered.values())) == len(keys)
    assert asyncio.run(count()) == len(keys), f"{retried} retried submissions"


def _runs(infra: Infra, job: str) -> tuple[int, datetime]:
    """The kit's record of the job in svc-matching's database: how many runs in all, and when the last began."""

    async def read() -> tuple[int, datetime]:
        conn = await asyncpg.connect(
            with_database(infra.database_admin_url, "kunruyi_matching").replace("+asyncpg", "")
        )
        try:
            row = await conn.fetchrow("SELECT runs, last_run_at FROM periodic_runs WHERE job = $1", job)
        finally:
            await conn.close()
        assert row is not None, f"{job} never recorded a run"
        return int(row["runs"]), row["last_run_at"]

    return asyncio.run(read())


def _ticked_since(before: list[dict[str, float]], now: list[dict[str, float]]) -> list[float]:
    """Ticks (run or skipped) per replica since ``before``."""
    return [n["ran"] + n["skipped"] - b["ran"] - b["skipped"] for n, b in zip(now, before, strict=True)]


def test_the_exclusive_periodic_job_runs_once_per_tick_across_both_replicas(
    replicated: tuple[Infra, Platform],
) -> None:
    infra, platform = replicated
    alive = [r for r in platform.replicas("matching") if r.process is not None and r.process.poll() is None]
    if len(alive) < 2:  # the kill test ran first: bring the second replica back
        dead = next(r for r in platform.replicas("matching") if r not in alive)
        dead.start()
        dead.wait_ready(120)
        alive = platform.replicas("matching")
    urls = [r.metrics_url for r in alive if r.metrics_url]
    assert len(urls) == 2
    job = "broker-assignment"
    runs_before, last_before = _runs(infra, job)
    before = [periodic_ticks(url, job) for url in urls]
    seen = before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(n >= 4 for n in _ticked_since(before, seen)):
        time.sleep(0.5)
        seen = [periodic_ticks(url, job) for url in urls]
    assert all(n >= 4 for n in _ticked_since(before, seen)), f"each replica ticks on its own clock: {seen}"
    runs_after, last_after = _runs(infra, job)
    runs = runs_after - runs_before
    ran = sum(n["ran"] - b["ran"] for n, b in zip(seen, before, strict=True))
    skipped = sum(n["skipped"] - b["skipped"] for n, b in zip(seen, before, strict=True))
    assert runs >= 1 and ran >= 1, (runs, ran)
    assert skipped >= 1, "with two replicas ticking, one finds the job running or not due"
    # Once per tick: k runs after the one recorded before began at least k intervals after it (microseconds in
    # the database; the margin is for rounding only).
    window = (last_after - last_before).total_seconds()
    assert window >= runs * ASSIGNMENT_INTERVAL_S - 0.001, f"{runs} runs in {window:.3f} s"
    assert not any(n["failed"] for n in seen), seen
