"""Replica scaling of the write and compute paths (issue 14, "a replica-scaling table"): the policy calculator and
the talent registration, through the gateway, with one and with two replicas of svc-policy and svc-talent.

    .venv/bin/python bench/replicas/workloads.py [--duration 8] [--concurrency 16] [--out bench/replicas/WORKLOADS.md]

- *calculator*: `POST /api/v1/policy-calculator` (compact answer, anonymous, the seeded demo catalog), a different
  enterprise profile on every request (revenue, R&D, staff, patents and qualifications vary), so nothing can be
  answered from a cache.
- *registration*: `POST /api/v1/talents` signed as the demo partner, a new resident ID every time: validation,
  AES-GCM of the ID, the blind index, the class, the history row and the outbox event in one transaction, then
  the event relayed to NATS.

The comparator of each row is the same work with one replica, in the same run. The third path of the table, the
settlement pipeline, has its own bench with one and two service processes (`bench/disbursement_pipeline/run.py
--service-workers 1|2`). On 2 CPUs shared by the load generator, PostgreSQL, NATS, the gateway and every replica,
a second replica cannot add CPU: the point is that throughput does not fall and nothing fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GATEWAY_BENCH = ROOT / "bench" / "gateway"
sys.path.insert(0, str(GATEWAY_BENCH))

from kunruyi_client import AsyncKunruyiClient  # noqa: E402
from kunruyi_common.validators import build_resident_id  # noqa: E402
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET  # noqa: E402
from kunruyi_launcher.apps import APPS, EMULATORS, enable_development_mode  # noqa: E402
from kunruyi_launcher.infra import free_port, with_database  # noqa: E402
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra  # noqa: E402
from kunruyi_policy.rules.variables import (  # noqa: E402
    DISTRICTS,
    ENTERPRISE_QUALIFICATIONS,
    INDUSTRY_CHAINS,
)
from run import PY, machine, wait_ready  # noqa: E402  (bench/gateway/run.py)

enable_development_mode()
WAN = 10_000 * 100  # 万元 in 分
SERVICES = ("policy", "talent", "gateway")


def enterprise_profile(rng: random.Random) -> dict[str, Any]:
    revenue = rng.randrange(200, 50_000) * WAN
    held = rng.sample(list(ENTERPRISE_QUALIFICATIONS), rng.randrange(0, 3))
    return {
        "district": rng.choice(DISTRICTS),
        "industry_chain": rng.choice(INDUSTRY_CHAINS),
        "founded_years": rng.randrange(0, 30),
        "employees": rng.randrange(5, 2000),
        "revenue_fen": revenue,
        "rd_expense_fen": revenue * rng.randrange(1, 12) // 100,
        "high_tech_revenue_ratio": round(rng.uniform(0, 1), 2),
        "tax_paid_fen": revenue * rng.randrange(0, 8) // 100,
        "qualifications": held,
        "new_qualifications": [q for q in held if rng.random() < 0.3],
        "invention_patents": rng.randrange(0, 20),
        "platforms": [],
    }


async def drive(call: Callable[[int], Awaitable[int]], concurrency: int, duration: float) -> dict[str, Any]:
    """``concurrency`` callers, each one request in flight, for ``duration`` seconds."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    stop_at = time.perf_counter() + duration

    async def caller() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            begun = time.perf_counter()
            status = await call(next(counter))
            latencies.append(time.perf_counter() - begun)
            if status >= 400:
                errors += 1

    begun = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = time.perf_counter() - begun
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0,
        "errors": errors,
    }


async def calculator(gateway: str, concurrency: int, duration: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    profiles = [enterprise_profile(rng) for _ in range(2000)]
    async with httpx.AsyncClient(
        base_url=gateway, timeout=60, limits=httpx.Limits(max_connections=concurrency)
    ) as c:

        async def call(i: int) -> int:
            response = await c.post(
                "/api/v1/policy-calculator",
                json={"beneficiary": "enterprise", "profile": profiles[i % len(profiles)]},
            )
            return response.status_code

        for i in range(concurrency):  # warm-up: connections and the compiled catalog
            await call(i)
        return await drive(call, concurrency, duration)


async def registration(gateway: str, concurrency: int, duration: float, run: int) -> dict[str, Any]:
    async with AsyncKunruyiClient(gateway, DEMO_APP_KEY, DEMO_SECRET, timeout=60.0) as client:

        async def call(i: int) -> int:
            # A resident ID nobody has registered yet: birth date and sequence from the counter and the run.
            birth = date(1960, 1, 1) + timedelta(days=(run * 100_000 + i) // 900)
            number = build_resident_id("320583", birth, 100 + (run * 100_000 + i) % 900)
            response = await client.post(
                "/api/v1/talents",
                json={
                    "name": "基准人才",
                    "id_number": number,
                    "education": "master",
                    "expertise": "集成电路设计",
                },
            )
            return response.status_code

        return await drive(call, concurrency, duration)


async def unlimited_partner_rate(admin_url: str) -> None:
    """The demo key's rate (6,000/minute) would answer 429 to the load; the bench measures throughput."""
    gateway = next(a for a in APPS if a.name == "gateway")
    url = with_database(admin_url, gateway.database).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE partner_app_keys SET rate = '100000000/minute' WHERE app_key = $1", DEMO_APP_KEY
        )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", default=str(HERE / "WORKLOADS.md"))
    args = parser.parse_args()

    data_dir = ROOT / "var" / "bench" / "replica-workloads"
    infra = start_infra(data_dir, fast_unsafe=False, log=lambda _m: None)
    stub_port = free_port()
    stub = subprocess.Popen(
        [PY, str(GATEWAY_BENCH / "stub_services.py"), str(stub_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[dict[str, Any]] = []
    try:
        apps = [a for a in APPS if a.name in SERVICES]
        migrate_all(infra, apps, recreate=True)
        seed_all(infra, apps)
        asyncio.run(unlimited_partner_rate(infra.database_admin_url))
        wait_ready(f"http://127.0.0.1:{stub_port}/readyz")
        extra_env = {
            "KRY_GATEWAY_PUBLIC_RATE": "100000000/minute",
            "KRY_GATEWAY_STAFF_RATE": "100000000/minute",
        } | {f"KRY_{name.upper()}_LOG_LEVEL": "WARNING" for name in SERVICES}
        for replicas in (1, 2):
            ports = (
                {a.name: stub_port for a in APPS}
                | {a.name: free_port() for a in apps}
                | {e.name: free_port() for e in EMULATORS}
            )
            platform = start_apps(
                infra,
                data_dir / "log",
                ports=ports,
                apps=apps,
                extra_env=extra_env,
                replicas=replicas,
                # the 一企来办 portal among them: without it the gateway retries the seeded catalog's
                # publication deliveries in the background while it is measured
                emulators=True,
                timeout=120,
            )
            try:
                gateway = platform.gateway_url
                time.sleep(20)  # the catalog's publications delivered to the portal before the clock starts
                calc = asyncio.run(calculator(gateway, args.concurrency, args.duration, seed=replicas))
                reg = asyncio.run(registration(gateway, args.concurrency, args.duration, run=replicas))
                rows.append({"replicas": replicas, "calculator": calc, "registration": reg})
                print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
            finally:
                platform.stop()
    finally:
        stub.terminate()
        stub.wait(10)
        infra.stop()
    result = {"machine": machine(), "rows": rows, "load": os.getloadavg()}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    write_results(Path(args.out), result, args)


def write_results(path: Path, result: dict[str, Any], args: argparse.Namespace) -> None:
    base = {w: result["rows"][0][w]["rps"] for w in ("calculator", "registration")}
    lines = [
        "# Replica scaling: the calculator and the talent registration with 1 and 2 replicas",
        "",
        f"Machine: {result['machine']}. Everything (load generator, gateway, the replicas of svc-policy and",
        "svc-talent, PostgreSQL, NATS) on this one machine. Command: `.venv/bin/python bench/replicas/workloads.py`",
        f"({args.concurrency} concurrent callers, {args.duration:g} s per point after a warm-up). Load average at the"
        f" end: {' / '.join(f'{x:.1f}' for x in result['load'])}.",
        "",
        "*calculator*: `POST /api/v1/policy-calculator`, compact answer, a different enterprise profile per request, the",
        "demo catalog. *registration*: `POST /api/v1/talents` signed as a partner, a new resident ID per request. The",
        "ratio is against the one-replica row of the same run.",
        "",
        "| replicas | path | answers/s | p50 / p99 ms | vs 1 replica | errors |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        for w in ("calculator", "registration"):
            m = r[w]
            lines.append(
                f"| {r['replicas']} | {w} | {m['rps']:,.0f} | {m['p50_ms']:.1f} / {m['p99_ms']:.1f} | "
                f"{m['rps'] / base[w]:.2f} | {m['errors']} |"
            )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
