"""Replica scaling of the write and compute paths (issue 14, "a replica-scaling table"): the policy calculator and
the talent registration, through the gateway, with one and with two replicas of svc-policy and svc-talent.

    .venv/bin/python bench/replicas/workloads.py [--duration 8] [--concurrency 16] [--client raw|httpx]
        [--out bench/replicas/WORKLOADS.md]

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
from urllib.parse import urlsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GATEWAY_BENCH = ROOT / "bench" / "gateway"
sys.path.insert(0, str(GATEWAY_BENCH))
sys.path.append(
    str(ROOT / "bench" / "policy_calculator")
)  # after bench/gateway: its run.py is the one imported

from http_run import RawClient  # noqa: E402  (bench/policy_calculator/http_run.py)
from kunruyi_client import AsyncKunruyiClient  # noqa: E402
from kunruyi_common.validators import build_resident_id  # noqa: E402
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET  # noqa: E402
from kunruyi_launcher.apps import APPS, EMULATORS, enable_development_mode  # noqa: E402
from kunruyi_launcher.infra import free_port, with_database  # noqa: E402
from kunruyi_launcher.ops import consumers  # noqa: E402
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra  # noqa: E402
from kunruyi_launcher.targets import Target  # noqa: E402
from kunruyi_policy.rules.variables import (  # noqa: E402
    DISTRICTS,
    ENTERPRISE_QUALIFICATIONS,
    INDUSTRY_CHAINS,
)
from run import PY, machine, own_cpu_seconds, wait_ready  # noqa: E402  (bench/gateway/run.py)

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


# Who spends the machine's CPU during a point: processes grouped by what their command line runs.
CPU_GROUPS = (
    # First: a backend's command line names its database ("postgres: postgres kunruyi_talent 127.0.0.1(…)").
    ("postgres", "postgres"),
    ("svc-policy", "kunruyi_policy"),
    ("svc-talent", "kunruyi_talent"),
    ("gateway", "kunruyi_gateway"),
    ("nats", "nats-server"),
)


def cpu_by_group() -> dict[str, float]:
    """CPU seconds so far of every process on the machine, by group (``CPU_GROUPS``; this process is the load
    generator, anything else is *other*), and the machine's steal time (CPU the hypervisor gave to others)."""
    totals: dict[str, float] = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = (
                Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
        except OSError:
            continue
        group = "load generator" if int(entry) == me else "other"
        for name, marker in CPU_GROUPS:
            if marker in command:
                group = name
                break
        totals[group] = totals.get(group, 0.0) + own_cpu_seconds(int(entry))
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    totals["steal"] = int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0
    return totals


async def measured(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """``work``'s figures with the CPU milliseconds per answer each group spent meanwhile."""
    before = cpu_by_group()
    result = await work
    result["cpu_ms"] = cpu_ms_per_answer(before, cpu_by_group(), result["requests"])
    return result


def cpu_ms_per_answer(before: dict[str, float], after: dict[str, float], answers: int) -> dict[str, float]:
    """CPU milliseconds each group spent between two :func:`cpu_by_group` readings, per answer."""
    return {
        group: round(1000 * (after[group] - before.get(group, 0.0)) / max(answers, 1), 2)
        for group in sorted(after)
        if after[group] - before.get(group, 0.0) > 0
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

    begun, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - begun, time.process_time() - cpu
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        # The load generator's own CPU per answer: it shares the two CPUs with what it measures.
        "client_cpu_ms": 1000 * cpu / max(len(latencies), 1),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0,
        "errors": errors,
    }


async def calculator(
    gateway: str, concurrency: int, duration: float, seed: int, client_kind: str
) -> dict[str, Any]:
    rng = random.Random(seed)
    payloads = [
        json.dumps({"beneficiary": "enterprise", "profile": enterprise_profile(rng)}).encode()
        for _ in range(2000)
    ]
    path = "/api/v1/policy-calculator"
    if client_kind == "httpx":
        async with httpx.AsyncClient(
            base_url=gateway, timeout=60, limits=httpx.Limits(max_connections=concurrency)
        ) as c:

            async def call(i: int) -> int:
                headers = {"content-type": "application/json"}
                response = await c.post(path, content=payloads[i % len(payloads)], headers=headers)
                return response.status_code

            for i in range(concurrency):  # warm-up: connections and the compiled catalog
                await call(i)
            return await measured(drive(call, concurrency, duration))
    # One lean keep-alive connection per caller (bench/policy_calculator/http_run.py): httpx spends 1.5–2 ms of
    # CPU on each 62 KB answer, on the same two CPUs as the replicas it measures.
    parts = urlsplit(gateway)
    idle = [RawClient(parts.hostname or "127.0.0.1", parts.port or 80) for _ in range(concurrency)]

    async def raw_call(i: int) -> int:
        client = idle.pop()
        try:
            status, _ = await client.post(path, payloads[i % len(payloads)])
        finally:
            idle.append(client)
        return int(status)

    try:
        for i in range(concurrency):
            await raw_call(i)
        return await measured(drive(raw_call, concurrency, duration))
    finally:
        for client in idle:
            client.close()


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

        return await measured(drive(call, concurrency, duration))


async def backlog(nats_url: str) -> int:
    """Events pending or unacknowledged in the durable consumers of the running services (the lags
    ``kunruyi_launcher.ops`` reports)."""
    target = Target(database_urls={}, nats_url=nats_url)
    return sum(
        int(row["num_pending"]) + int(row["num_ack_pending"])
        for rows in (await consumers(target)).values()
        for row in rows
        # Durable names start with the consuming service's name; the others are not running here.
        if str(row["consumer"]).split("-", 1)[0] in SERVICES
    )


async def settled(nats_url: str, timeout_s: float = 1200.0) -> float:
    """Wait until every durable consumer of the running services has nothing pending or unacknowledged (the events
    of the seed and of the previous point all applied); the seconds until the backlog first reached nothing and
    stayed there. Measured before that, a point shares the CPUs with the platform's own backlog: after a fresh
    seed svc-talent spends minutes at a full CPU on ≈30,000 policy events."""
    started = time.monotonic()
    quiet_since: float | None = None
    # Quiet three looks in a row: a point's last events may still be in flight.
    while quiet_since is None or time.monotonic() - quiet_since < 2.5:
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"the platform's consumers still had events after {timeout_s:.0f} s")
        if await backlog(nats_url) == 0:
            quiet_since = quiet_since or time.monotonic()
        else:
            quiet_since = None
        await asyncio.sleep(0.5 if quiet_since is None else 1.0)
    return quiet_since - started


async def with_drain(nats_url: str, point: dict[str, Any], before: dict[str, float]) -> dict[str, Any]:
    """A write point's figures once the events it caused are applied too: a write path whose consumers fall
    behind looks faster during the point than it is, its work paid for after the clock stops. Adds the backlog
    at the end of the point, the seconds to drain it, the answers per second over point + drain, and the CPU
    per answer over both."""
    point["backlog_at_end"] = await backlog(nats_url)
    point["drain_s"] = await settled(nats_url)
    answers = max(point["requests"], 1)
    point["sustained_rps"] = answers / (answers / point["rps"] + point["drain_s"])
    point["cpu_ms_with_drain"] = cpu_ms_per_answer(before, cpu_by_group(), answers)
    return point


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
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="the calculator's load client: lean keep-alive sockets (default) or httpx, as before 2026-12-07",
    )
    parser.add_argument("--out", default=str(HERE / "WORKLOADS.md"))
    args = parser.parse_args()

    data_dir = ROOT / "var" / "bench" / "replica-workloads"
    # The databases are made afresh below; so is the event store, or every earlier run's events (hundreds of
    # thousands, about rows that no longer exist) wait in the consumers ahead of this run's.
    infra = start_infra(data_dir, fast_unsafe=False, fresh_events=True, log=lambda _m: None)
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
                # The seed's events (and the catalog's publications to the portal) applied before the clock starts.
                waited = asyncio.run(settled(infra.nats_url))
                calc = asyncio.run(
                    calculator(
                        gateway, args.concurrency, args.duration, seed=replicas, client_kind=args.client
                    )
                )
                waited += asyncio.run(settled(infra.nats_url))
                before = cpu_by_group()
                reg = asyncio.run(registration(gateway, args.concurrency, args.duration, run=replicas))
                reg = asyncio.run(with_drain(infra.nats_url, reg, before))
                print(f"waited {waited:.0f} s for the consumers to settle", file=sys.stderr)
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
        f"The calculator's load client: `{args.client}`. *client CPU* is the load generator's own CPU per answer (it",
        "shares the two CPUs with what it measures).",
        "",
        "| replicas | path | answers/s | p50 / p99 ms | vs 1 replica | errors | client CPU ms |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        for w in ("calculator", "registration"):
            m = r[w]
            lines.append(
                f"| {r['replicas']} | {w} | {m['rps']:,.0f} | {m['p50_ms']:.1f} / {m['p99_ms']:.1f} | "
                f"{m['rps'] / base[w]:.2f} | {m['errors']} | {m['client_cpu_ms']:.2f} |"
            )
    lines += [
        "",
        "CPU milliseconds per answer, by process group, while each point ran (*steal*: CPU the hypervisor gave to",
        "other guests; *other*: everything else on the machine):",
        "",
    ]
    groups = sorted(
        {g for r in result["rows"] for w in ("calculator", "registration") for g in r[w]["cpu_ms"]}
    )
    lines += ["| replicas | path | " + " | ".join(groups) + " |", "|---:|---|" + "---:|" * len(groups)]
    for r in result["rows"]:
        for w in ("calculator", "registration"):
            spent = r[w]["cpu_ms"]
            lines.append(
                f"| {r['replicas']} | {w} | " + " | ".join(f"{spent.get(g, 0.0):.2f}" for g in groups) + " |"
            )
    regs = [(r["replicas"], r["registration"]) for r in result["rows"] if "drain_s" in r["registration"]]
    if regs:
        sustained_base = regs[0][1]["sustained_rps"]
        lines += [
            "",
            "The registration once the events it causes are applied (each registered talent's reach in svc-policy,",
            "then its messages in svc-talent): the backlog left in the consumers when the point ended, the seconds",
            "to drain it, registrations per second over the point and the drain, and the CPU per registration over",
            "both:",
            "",
            "| replicas | answers/s in the point | backlog at end | drain s | sustained/s | vs 1 replica |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for replicas, m in regs:
            lines.append(
                f"| {replicas} | {m['rps']:,.0f} | {m['backlog_at_end']:,} | {m['drain_s']:.1f} | "
                f"{m['sustained_rps']:,.0f} | {m['sustained_rps'] / sustained_base:.2f} |"
            )
        drained = sorted({g for _, m in regs for g in m["cpu_ms_with_drain"]})
        lines += ["", "| replicas | " + " | ".join(drained) + " |", "|---:|" + "---:|" * len(drained)]
        for replicas, m in regs:
            spent = m["cpu_ms_with_drain"]
            lines.append(f"| {replicas} | " + " | ".join(f"{spent.get(g, 0.0):.2f}" for g in drained) + " |")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
