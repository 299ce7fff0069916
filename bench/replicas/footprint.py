"""What one replica costs (issue 14, "write down, from measurements, what one replica costs"): the resident memory
of every process of the platform and the PostgreSQL connections each service's database holds, with one and with
two replicas of every service, idle after start-up and after a burst of reads through the gateway.

    .venv/bin/python bench/replicas/footprint.py [--out bench/replicas/FOOTPRINT.md]

The platform as the launcher starts it (`start_apps(replicas=N)`, the demo data seeded, the emulators running), on
a PostgreSQL and NATS of its own under var/bench/footprint. Memory is each process's proportional set size (Pss) from /proc; connections
are rows of `pg_stat_activity` by database. Docs: docs/capacity.md turns these figures into a plan for a city ten
times Kunshan.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from kunruyi_common.db import create_engine
from kunruyi_launcher.apps import APPS, enable_development_mode
from kunruyi_launcher.stack import Platform, migrate_all, seed_all, start_apps, start_infra
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "bench" / "gateway"))
from run import machine  # noqa: E402  (bench/gateway/run.py)

enable_development_mode()
# Public reads that reach every service's database through the gateway.
READS = (
    "/api/v1/policies?limit=20",
    "/api/v1/policy-documents",
    "/api/v1/activities",
    "/api/v1/supply?limit=20",
)


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (PostgreSQL's shared buffers, the interpreter's libraries) counted once
    across the processes that share them, so the figures add up."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_memory(platform: Platform) -> dict[str, float]:
    memory: dict[str, float] = {}
    for key, app in platform.apps.items():
        if app.process is not None:
            memory[key] = pss_mib(app.process.pid)
    return memory


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(proc.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def infra_memory(data_dir: Path) -> dict[str, float]:
    """This platform's PostgreSQL (its postmaster and backends) and nats-server — not the other servers on the
    machine: the postmaster from its pid file, nats-server by its store under ``data_dir``."""
    postmaster = int((data_dir / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])
    postgres = sum(pss_mib(p) for p in [postmaster, *_children(postmaster)])
    nats = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(data_dir) in (proc / "cmdline").read_text(errors="replace"):
                if (proc / "comm").read_text().strip() == "nats-server":
                    nats += pss_mib(int(proc.name))
        except OSError:
            continue
    return {"postgres": postgres, "nats-server": nats}


async def connections(admin_url: str) -> dict[str, int]:
    engine = create_engine(admin_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
                    "AND pid <> pg_backend_pid() GROUP BY datname ORDER BY datname"
                )
            )
            return {str(name): int(count) for name, count in rows}
    finally:
        await engine.dispose()


async def burst(gateway_url: str, seconds: float) -> int:
    """Concurrent reads through the gateway, so each replica's pool opens what a busy hour needs."""
    done = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:

        async def worker(n: int) -> None:
            nonlocal done
            while time.monotonic() < deadline:
                await client.get(READS[n % len(READS)])
                done += 1

        await asyncio.gather(*(worker(n) for n in range(32)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(HERE / "FOOTPRINT.md"))
    parser.add_argument("--burst", type=float, default=10.0)
    args = parser.parse_args()
    data_dir = ROOT / "var" / "bench" / "footprint"
    infra = start_infra(data_dir, fast_unsafe=True, fresh_events=True, log=lambda _m: None)
    rows: list[dict[str, Any]] = []
    try:
        migrate_all(infra, APPS, recreate=True)
        seed_all(infra, APPS)
        extra_env = {f"KRY_{a.name.upper()}_LOG_LEVEL": "WARNING" for a in APPS} | {
            "KRY_GATEWAY_PUBLIC_RATE": "100000000/minute"
        }
        for replicas in (1, 2):
            platform = start_apps(
                infra, data_dir / "log", apps=APPS, extra_env=extra_env, replicas=replicas, timeout=180
            )
            try:
                time.sleep(5)
                idle = {
                    "memory": process_memory(platform),
                    "infra": infra_memory(data_dir),
                    "connections": asyncio.run(connections(infra.database_admin_url)),
                }
                served = asyncio.run(burst(platform.gateway_url, args.burst))
                busy = {
                    "memory": process_memory(platform),
                    "infra": infra_memory(data_dir),
                    "connections": asyncio.run(connections(infra.database_admin_url)),
                }
                rows.append({"replicas": replicas, "idle": idle, "busy": busy, "reads": served})
            finally:
                platform.stop()
    finally:
        infra.stop()
    result = {"machine": machine(), "rows": rows}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    write_results(Path(args.out), result, args.burst)


def write_results(path: Path, result: dict[str, Any], burst_s: float) -> None:
    lines = [
        "# What one replica costs: memory and PostgreSQL connections",
        "",
        f"Machine: {result['machine']}. Command: `.venv/bin/python bench/replicas/footprint.py`. The whole platform",
        "(four services, the gateway, the emulators) started by the launcher with 1 and with 2 replicas of every",
        f"service, the demo data seeded; *idle* 5 s after start-up, *busy* after {burst_s:g} s of 32 concurrent public",
        "reads through the gateway (catalog, documents, activities, supply). Memory: Pss per process (MiB; shared pages\n"
        "counted once across the processes sharing them).",
        "",
    ]
    for row in result["rows"]:
        lines += [
            f"## {row['replicas']} replica(s) of every service ({row['reads']:,} reads in the burst)",
            "",
            "| process | idle MiB | busy MiB |",
            "|---|---:|---:|",
        ]
        idle, busy = row["idle"], row["busy"]
        for key in sorted(idle["memory"]):
            lines.append(f"| {key} | {idle['memory'][key]:.0f} | {busy['memory'].get(key, 0):.0f} |")
        for name in ("postgres", "nats-server"):
            lines.append(
                f"| {name} (all processes) | {idle['infra'][name]:.0f} | {busy['infra'][name]:.0f} |"
            )
        lines += ["", "| database | idle connections | busy connections |", "|---|---:|---:|"]
        for db in sorted(set(idle["connections"]) | set(busy["connections"])):
            lines.append(f"| {db} | {idle['connections'].get(db, 0)} | {busy['connections'].get(db, 0)} |")
        total_idle, total_busy = sum(idle["connections"].values()), sum(busy["connections"].values())
        lines += [f"| **all** | **{total_idle}** | **{total_busy}** |", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
