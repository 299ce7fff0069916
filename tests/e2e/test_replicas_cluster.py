"""Scale-out under faults (issue 14, first must-show): ONE platform of this module's own — a 3-node NATS JetStream
cluster (every stream with 3 replicas, the apps given the node list), PostgreSQL, two replicas of every service
behind one gateway, and the emulators — started the way ``NATS_NODES=3 make run REPLICAS=2`` starts it.

- The flows run on it through the gateway: 2 (calculator), 3 (一企来办 application, paid), 4 (QR demand to a
  contract), 5 (QR request answered) are the flow modules' own tests, collected here again with this module's
  ``platform`` and ``driver``; flow 1 (免申即享) is the award test below, for several enterprises at once.
- Mid-flow — five enterprises gain 高企 while one NATS node (the JetStream meta leader) is SIGKILLed, and right
  after an approver releases their awards one replica of svc-disbursement is SIGKILLed — every award is paid
  exactly once at the bank emulator (each reference once in its statement, each enterprise once per award), no
  entitlement is lost (svc-policy's entitlements for them = svc-disbursement's disbursements, by entitlement id),
  and nothing is dead-lettered.
- svc-matching's two replicas answer a demand's candidates identically (each called directly on its own port).
- Every exclusive periodic job of the replicated services ran at most once per tick across its replicas over the
  whole module (the kit's ``periodic_runs``: k runs span at least k intervals of the database's clock), and on the
  services no replica of which was killed, both replicas ticked the job and only one ran each tick
  (``kunruyi_periodic_ticks_total``: ``skipped`` on the other, never ``failed``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from kunruyi_client import KunruyiClient
from kunruyi_common.auth import Principal
from kunruyi_common.events.envelope import DLQ_STREAM
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET
from kunruyi_gateway.settings import Settings as GatewaySettings
from kunruyi_gateway.staff.tokens import GatewayIssuer
from kunruyi_launcher.apps import APPS, EMULATORS
from kunruyi_launcher.infra import NatsCluster, NatsServer, free_port, with_database
from kunruyi_launcher.pytest_plugin import TEST_ROOT
from kunruyi_launcher.stack import Platform, migrate_all, run_coroutine, seed_all, start_apps, start_infra
from kunruyi_launcher.testing import principal_headers
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import NotFoundError, ServiceUnavailableError

from . import test_flow2_calculator as flow2
from . import test_flow3_yiqilaiban as flow3
from . import test_flow4_qr_demand as flow4
from . import test_flow5_qr_request as flow5
from .conftest import SEEDED, Driver, periodic_ticks

pytestmark = pytest.mark.timeout(1200)

REPLICAS = 2
NATS_NODES = 3
AWARDS = 5  # enterprises gaining 高企 at once
POLICY = "KS-KJ-001"  # 高新技术企业认定奖励, 免申即享, released by an approver of 科技局
AMOUNT_FEN = 30_000_000
ASSIGNMENT_INTERVAL_S = 0.5
SCAN_INTERVAL_S = 1.0
SWEEP_INTERVAL_S = 1.0
# The exclusive periodic jobs of the replicated services counted here, by database: job → interval (s). Each is
# only ever ticked by its timer (never woken), so each of its runs is a scheduled one and the interval gate holds.
EXCLUSIVE_JOBS: dict[str, dict[str, float]] = {
    "disbursement": {"payment-status-poll": 1.0, "awaiting-budget-sweep": SWEEP_INTERVAL_S},
    "matching": {"broker-assignment": ASSIGNMENT_INTERVAL_S},
    "talent": {"overdue-ticket-scan": SCAN_INTERVAL_S, "housing-offer-scan": SCAN_INTERVAL_S},
}
OFFICER = Principal(kind="staff", subject="e2e-cluster", name="集群测试", roles=["officer"])

# The flows, run on this module's platform (pytest collects them here again, with the fixtures below).
test_flow2_calculator = flow2.test_the_calculator_explains_every_policy_and_agrees_by_id
test_flow3_application_paid = flow3.test_an_application_from_yiqilaiban_is_reviewed_paid_and_reported_back
test_flow3_amount_from_calculator = flow3.test_an_application_without_an_amount_gets_the_calculators
test_flow4_qr_demand_to_contract = flow4.test_a_demand_from_the_qr_page_reaches_a_registered_contract
test_flow5_qr_request_answered = flow5.test_a_request_from_the_qr_page_is_answered_on_the_page
test_flow5_same_form_twice = flow5.test_the_same_form_sent_twice_files_one_request


@dataclass
class Baseline:
    """The exclusive jobs' records (``periodic_runs``) and the surviving replicas' tick counters at the start."""

    runs: dict[tuple[str, str], tuple[int, datetime]]
    ticks: dict[tuple[str, str], list[dict[str, float]]]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # Under the run's own var/test/<pid>/ (removed with it), as tests/e2e/test_replicas.py does.
    data_dir: Path = TEST_ROOT / str(os.getpid()) / "replicas-cluster"
    shutil.rmtree(data_dir, ignore_errors=True)
    infra = start_infra(data_dir, nats_nodes=NATS_NODES, fast_unsafe=True, log=lambda _m: None)
    running = None
    try:
        assert isinstance(infra.nats, NatsCluster) and infra.nats_stream_replicas == NATS_NODES
        migrate_all(infra, APPS, recreate=True)
        seed_all(infra, [a for a in APPS if a.name in SEEDED])
        ports = {a.name: free_port() for a in APPS} | {e.name: free_port() for e in EMULATORS}
        extra_env = {
            "KRY_GATEWAY_DEV_ISSUER_DIR": str(GatewaySettings().dev_issuer_dir),
            "KRY_GATEWAY_UPSTREAM_EJECT_S": "3",
            "KRY_MATCHING_ASSIGNMENT_INTERVAL_S": str(ASSIGNMENT_INTERVAL_S),
            "KRY_TALENT_OVERDUE_SCAN_INTERVAL_S": str(SCAN_INTERVAL_S),
            "KRY_DISBURSEMENT_AWAITING_BUDGET_SWEEP_S": str(SWEEP_INTERVAL_S),
            # Not KRY_BANK_CALLBACK_URL: the launcher gives the bank every svc-disbursement replica's callback.
        }
        # Logs kept with pytest's temporary files; the bank emulator keeps its state beside them (``emulators/``),
        # in a directory of this module's own, not the one the package's platform's bank writes.
        running = start_apps(
            infra,
            tmp_path_factory.mktemp("cluster") / "log",
            ports=ports,
            extra_env=extra_env,
            timeout=180,
            replicas=REPLICAS,
        )
        yield running
    finally:
        if running is not None:
            # Every app is told to stop at once (each takes seconds to shut down), then each is waited for.
            for app in running.apps.values():
                if app.process is not None and app.process.poll() is None:
                    app.process.send_signal(signal.SIGTERM)
            running.stop()
        infra.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def baseline(platform: Platform) -> Baseline:
    """Taken before the first test of the module runs (requested by the first of them, through ``driver``)."""
    runs = {
        (service, job): _runs(platform, service, job)
        for service, jobs in EXCLUSIVE_JOBS.items()
        for job in jobs
    }
    ticks = {
        (service, job): [periodic_ticks(url, job) for url in _metrics_urls(platform, service)]
        for service, jobs in EXCLUSIVE_JOBS.items()
        for job in jobs
    }
    return Baseline(runs, ticks)


@pytest.fixture(scope="module")
def driver(platform: Platform, baseline: Baseline) -> Iterator[Driver]:
    settings = GatewaySettings()
    partner = KunruyiClient(platform.gateway_url, DEMO_APP_KEY, DEMO_SECRET, timeout=30.0)
    http = httpx.Client(base_url=platform.gateway_url, timeout=30.0)
    try:
        yield Driver(platform, partner, http, GatewayIssuer.for_settings(settings), settings)
    finally:
        partner.close()
        http.close()


# --- reading the platform's state ---------------------------------------------------------------------------------


def _db(platform: Platform, service: str) -> str:
    return with_database(platform.infra.database_admin_url, f"kunruyi_{service}").replace("+asyncpg", "")


def _fetch(platform: Platform, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
    async def read() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(_db(platform, service))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return run_coroutine(read())


def _runs(platform: Platform, service: str, job: str) -> tuple[int, datetime]:
    """The kit's record of an exclusive job: how many runs in all (every replica, every restart), and when the
    last began (the database's clock)."""
    deadline = time.monotonic() + 60
    while True:
        rows = _fetch(platform, service, "SELECT runs, last_run_at FROM periodic_runs WHERE job = $1", job)
        if rows:
            return int(rows[0]["runs"]), rows[0]["last_run_at"]
        assert time.monotonic() < deadline, f"{service}'s {job} never recorded a run"
        time.sleep(0.3)


def _metrics_urls(platform: Platform, service: str) -> list[str]:
    urls = [r.metrics_url for r in platform.replicas(service) if r.metrics_url]
    assert len(urls) == REPLICAS, urls
    return urls


def _nats_node(platform: Platform, name: str) -> NatsServer:
    cluster = platform.infra.nats
    assert isinstance(cluster, NatsCluster)
    return next(node for node in cluster.nodes if node.name == name)


def _sigkill_nats(node: NatsServer) -> None:
    assert node.process is not None and node.process.poll() is None
    os.kill(node.process.pid, signal.SIGKILL)
    node.process.wait(10)


async def _dead_letters(cluster: NatsCluster) -> int:
    """Messages in the dead-letter stream, asked of the nodes that are alive. The stream's leader may have been the
    node killed: its replicas elect another, which on two loaded CPUs can outlast one request's wait, so the
    question is asked again for up to a minute (what is counted is the dead letters, not how fast the answer comes)."""
    alive = [n.url for n in cluster.nodes if n.process is not None and n.process.poll() is None]
    nc = await nats.connect(servers=alive, connect_timeout=5, max_reconnect_attempts=2)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                info = await nc.jetstream(timeout=10).stream_info(DLQ_STREAM)
            except NotFoundError:
                return 0
            except (TimeoutError, NatsTimeoutError, NoRespondersError, ServiceUnavailableError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)
                continue
            return int(info.state.messages)
    finally:
        await nc.close()


# --- the award flow under SIGKILL -------------------------------------------------------------------------------


def _grant_high_tech(driver: Driver, n: int) -> str:
    uscc = driver.register_enterprise(name=f"昆山集群演练芯片科技有限公司{n}", district="高新区")
    granted = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "high_tech", "level": "national", "granted_on": f"{date.today().year}-10-15"},
    )
    assert granted.status_code == 201, granted.text
    return uscc


def _disbursements(driver: Driver, uscc: str) -> list[dict[str, Any]]:
    resp = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc, "limit": 200})
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def _award(driver: Driver, uscc: str) -> dict[str, Any] | None:
    return next((d for d in _disbursements(driver, uscc) if d["policy_code"] == POLICY), None)


def _approve(driver: Driver, uscc: str, disbursement_id: str) -> None:
    """An approver of 科技局 releases the award. An answer cut off by a dying replica (5xx) is not an answer: the
    approver looks again and releases it if it is still waiting."""

    def released() -> bool:
        resp = driver.as_staff(
            "approver", "POST", f"/api/v1/disbursements/{disbursement_id}/approve", "科技局"
        )
        if resp.status_code == 200:
            return True
        award = _award(driver, uscc)
        assert award is not None and award["status"] != "pending_approval", resp.text
        return True

    driver.eventually(released, f"the award of {uscc} released", timeout=60)


def test_awards_are_paid_once_while_a_nats_node_and_a_disbursement_replica_are_killed(
    driver: Driver,
) -> None:
    platform = driver.platform
    cluster = platform.infra.nats
    assert isinstance(cluster, NatsCluster)
    # The apps were given every node; each stream is kept on all three.
    for app in platform.apps.values():
        assert app.env[f"{app.spec.env_prefix}NATS_URL"].split(",") == [n.url for n in cluster.nodes]
        assert app.env[f"{app.spec.env_prefix}NATS_STREAM_REPLICAS"] == str(NATS_NODES)

    # Five enterprises gain 高企; while their events are on their way (talent → policy → disbursement), the
    # JetStream meta leader is SIGKILLed.
    usccs = [_grant_high_tech(driver, n) for n in range(AWARDS)]
    leader = cluster.wait_meta_leader()
    _sigkill_nats(_nats_node(platform, leader))
    # The other two elect a new meta leader (until they notice, they still name the dead one).
    driver.eventually(
        lambda: cluster.meta_leader() not in (None, leader), "a new JetStream meta leader", timeout=60
    )

    awards = {
        uscc: driver.eventually(
            lambda u=uscc: _award(driver, u), f"the {POLICY} award of {uscc}", timeout=180
        )
        for uscc in usccs
    }
    for award in awards.values():
        assert award["status"] == "pending_approval" and award["amount_fen"] == AMOUNT_FEN, award

    # The approver releases them all; right after, with the payments in flight, one svc-disbursement replica is
    # SIGKILLed (the second: the emulators that call one svc-disbursement URL are given the first).
    for uscc, award in list(awards.items())[:3]:
        _approve(driver, uscc, award["id"])
    victim = platform.replicas("disbursement")[1]
    victim.kill()
    assert victim.process is not None and victim.process.poll() is not None
    for uscc, award in list(awards.items())[3:]:
        _approve(driver, uscc, award["id"])

    settled = {
        uscc: driver.eventually(
            lambda u=uscc: (d := _award(driver, u)) is not None and d["status"] == "settled" and d,
            f"the award of {uscc} settled",
            timeout=180,
        )
        for uscc in usccs
    }
    for uscc, paid in settled.items():
        assert paid["id"] == awards[uscc]["id"]
        assert paid["amount_fen"] == AMOUNT_FEN

    # No entitlement lost: every entitlement svc-policy determined for them became exactly one disbursement (some
    # other automatic policies may apply to a new 高企 too; each counts).
    def entitlements() -> set[str]:
        rows = _fetch(
            platform,
            "policy",
            "SELECT id::text AS id FROM entitlements WHERE entity_id = ANY($1::text[])",
            usccs,
        )
        return {r["id"] for r in rows}

    def disbursed() -> list[str]:
        rows = _fetch(
            platform,
            "disbursement",
            "SELECT entitlement_id FROM disbursements WHERE entity_id = ANY($1::text[])",
            usccs,
        )
        return [r["entitlement_id"] for r in rows]

    determined = entitlements()
    assert len(determined) >= AWARDS
    driver.eventually(lambda: set(disbursed()) == determined, "a disbursement for every entitlement", 120)
    assert sorted(disbursed()) == sorted(determined), "one disbursement per entitlement, none twice"
    assert entitlements() == determined, "nothing determined twice"

    # Paid once: every payment in flight has finished, then the bank's statements list each reference once, and
    # it paid each enterprise once per settled award.
    in_flight = ("reserved", "instructing", "instructed")
    driver.eventually(
        lambda: not any(d["status"] in in_flight for u in usccs for d in _disbursements(driver, u)),
        "no payment in flight",
        timeout=180,
    )
    ours = [d for u in usccs for d in _disbursements(driver, u) if d["status"] == "settled"]
    references = {d["bank_reference"] for d in ours}
    assert len(references) == len(ours)
    bank = driver.emulator("bank")
    payments = {r: httpx.get(f"{bank}/payments/{r}", timeout=10).json() for r in references}
    days = {p["settled_at"][:10] for p in payments.values()}
    listed = [
        e["reference"]
        for day in sorted(days)
        for e in httpx.get(f"{bank}/statements/{day}", timeout=10).json()["entries"]
    ]
    assert len(listed) == len(set(listed)), "a reference twice in the bank's statement"
    assert references <= set(listed)
    paid_to = [
        httpx.get(f"{bank}/payments/{r}", timeout=10).json()["payee"]["entity_id"] for r in set(listed)
    ]
    for uscc in usccs:
        settled_awards = [d for d in ours if d["entity_id"] == uscc]
        assert paid_to.count(uscc) == len(settled_awards), (uscc, paid_to.count(uscc), settled_awards)
        assert payments[settled[uscc]["bank_reference"]]["instruction_count"] >= 1

    # Nothing went to a dead letter on the way (a node's or a replica's death is not the event's fault).
    assert run_coroutine(_dead_letters(cluster)) == 0


# --- matching: either replica, the same answer ---------------------------------------------------------------------


def test_the_matching_candidates_are_identical_from_either_replica(driver: Driver) -> None:
    platform = driver.platform
    first, second = platform.replicas("matching")
    headers = principal_headers(OFFICER)
    marker = f"集群{uuid.uuid4().hex[:6]}"
    # Supply written through one replica each, then a demand reviewed into the pool through the gateway.
    written_ids = set()
    for n, replica in enumerate((first, second, first)):
        written = httpx.post(
            f"{replica.url}/api/v1/supply",
            headers=headers,
            json={
                "kind": "expert",
                "natural_key": f"{marker}-{n}",
                "name": f"{marker}专家{n}",
                "organization": "苏州大学",
                "summary": f"{marker} 低功耗射频芯片 数模混合电路设计 第{n}位",
                "technical_field": "集成电路设计",
                "region": "苏州",
            },
            timeout=30,
        )
        assert written.status_code in (200, 201), written.text
        written_ids.add(written.json()["id"])
    demand = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/demands",
        json={
            "enterprise_uscc": driver.new_uscc(),
            "title": f"{marker} 低功耗射频芯片设计攻关",
            "description": "需要低功耗射频芯片与数模混合电路设计能力。",
            "industry_chain": "集成电路",
            "technical_field": "集成电路设计",
            "demand_type": "技术攻关",
        },
    )
    assert demand.status_code == 201, demand.text
    demand_id = demand.json()["id"]
    if demand.json()["status"] == "pending_review":
        reviewed = driver.as_staff(
            "officer", "POST", f"/api/v1/demands/{demand_id}/review", json={"decision": "approve"}
        )
        assert reviewed.status_code == 200, reviewed.text

    def candidates(replica: Any) -> list[tuple[str, int, float]]:
        resp = httpx.get(
            f"{replica.url}/api/v1/demands/{demand_id}/candidates",
            headers=headers,
            params={"kind": "expert", "limit": 10},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        return [(c["supply"]["id"], c["rank"], c["score"]) for c in resp.json()["items"]]

    def both() -> tuple[list[Any], list[Any]] | None:
        a, b = candidates(first), candidates(second)
        # Both indexes have refreshed from the database (each replica's own writes and the other's) and agree.
        return (a, b) if written_ids <= {c[0] for c in a} and a == b else None

    answers = driver.eventually(both, "the same candidates from both svc-matching replicas", timeout=60)
    from_first, from_second = answers
    assert from_first == from_second
    # The gateway's answer (either replica) is the same again.
    through_gateway = driver.as_staff(
        "officer", "GET", f"/api/v1/demands/{demand_id}/candidates", params={"kind": "expert", "limit": 10}
    )
    assert through_gateway.status_code == 200, through_gateway.text
    assert [(c["supply"]["id"], c["rank"], c["score"]) for c in through_gateway.json()["items"]] == from_first


# --- periodic jobs: once per tick across replicas, over the whole module ----------------------------------------


def test_every_exclusive_periodic_job_ran_once_per_tick_across_replicas(
    driver: Driver, baseline: Baseline
) -> None:
    platform = driver.platform
    for (service, job), (runs_before, last_before) in baseline.runs.items():
        interval = EXCLUSIVE_JOBS[service][job]
        runs_after, last_after = _runs(platform, service, job)
        runs = runs_after - runs_before
        assert runs >= 1, f"{service}'s {job} did not run during the module"
        # Once per tick: the k runs after the one recorded at the start began at least k intervals after it.
        window = (last_after - last_before).total_seconds()
        assert window >= runs * interval - 0.001, f"{service}'s {job}: {runs} runs in {window:.3f} s"
    # Where both replicas lived throughout, both ticked every job, one ran each tick and the other skipped.
    for service in ("matching", "talent"):
        urls = _metrics_urls(platform, service)
        for job in EXCLUSIVE_JOBS[service]:
            now = [periodic_ticks(url, job) for url in urls]
            before = baseline.ticks[(service, job)]
            ticked = [
                n["ran"] + n["skipped"] - b["ran"] - b["skipped"] for n, b in zip(now, before, strict=True)
            ]
            assert all(t >= 1 for t in ticked), f"{service}'s {job}: each replica ticks: {now}"
            skipped = sum(n["skipped"] - b["skipped"] for n, b in zip(now, before, strict=True))
            assert skipped >= 1, f"{service}'s {job}: with two replicas ticking, one skips: {now}"
            assert not any(n["failed"] - b["failed"] for n, b in zip(now, before, strict=True)), now
