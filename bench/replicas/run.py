"""Replica scaling (issue 14 §1): svc-policy's catalog read (`GET /api/v1/policies`, the seeded demo catalog) with
one and with two replicas of svc-policy, straight to one replica and through the gateway (which balances over
the replicas), at 16 and 64 connections.

    .venv/bin/python bench/replicas/run.py [--duration 3] [--out bench/replicas/RESULTS.md]

The platform's real svc-policy (its PostgreSQL query per request included) and gateway, started by the launcher
(`start_apps(replicas=N)`); the gateway's other upstreams are the gateway bench's stub. Load comes from a separate
process (bench/gateway/loadgen.py). Uses KRY_DATABASE_URL / KRY_NATS_URL when set, else starts PostgreSQL and NATS
under var/bench/replicas. On 2 CPUs shared by the load generator, PostgreSQL and every process, a second replica
cannot add much: the point is that the gateway's throughput does not fall and nothing fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GATEWAY_BENCH = ROOT / "bench" / "gateway"
sys.path.insert(0, str(GATEWAY_BENCH))

from kunruyi_launcher.apps import APPS, enable_development_mode  # noqa: E402
from kunruyi_launcher.infra import free_port  # noqa: E402
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra  # noqa: E402
from run import PY, load, machine, wait_ready  # noqa: E402  (bench/gateway/run.py)

enable_development_mode()
PATH = "/api/v1/policies?limit=5"
CONNECTIONS = (16, 64)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()

    data_dir = ROOT / "var" / "bench" / "replicas"
    infra = start_infra(data_dir, fast_unsafe=True, fresh_events=True, log=lambda _m: None)
    stub_port = free_port()
    stub = subprocess.Popen(
        [PY, str(GATEWAY_BENCH / "stub_services.py"), str(stub_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[dict[str, Any]] = []
    try:
        apps = [a for a in APPS if a.name in ("policy", "gateway")]
        migrate_all(infra, apps, recreate=True)
        seed_all(infra, [a for a in apps if a.name == "policy"])
        wait_ready(f"http://127.0.0.1:{stub_port}/readyz")
        extra_env = {
            "KRY_GATEWAY_PUBLIC_RATE": "100000000/minute",
            "KRY_GATEWAY_STAFF_RATE": "100000000/minute",
            "KRY_POLICY_LOG_LEVEL": "WARNING",
            "KRY_GATEWAY_LOG_LEVEL": "WARNING",
        }
        for replicas in (1, 2):
            ports = {a.name: stub_port for a in APPS} | {a.name: free_port() for a in apps}
            platform = start_apps(
                infra,
                data_dir / "log",
                ports=ports,
                apps=apps,
                extra_env=extra_env,
                replicas=replicas,
                emulators=False,
                timeout=120,
            )
            try:
                direct_url = platform.replicas("policy")[0].url
                load(direct_url, [PATH], 4, 1.0)  # warm-up
                load(platform.gateway_url, [PATH], 4, 1.0)
                for c in CONNECTIONS:
                    rows.append(
                        {
                            "replicas": replicas,
                            "concurrency": c,
                            "direct": load(direct_url, [PATH], c, args.duration),
                            "gateway": load(platform.gateway_url, [PATH], c, args.duration),
                        }
                    )
            finally:
                platform.stop()
    finally:
        stub.terminate()
        stub.wait(10)
        infra.stop()
    result = {"machine": machine(), "rows": rows}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    write_results(Path(args.out), result, args.duration)


def write_results(path: Path, result: dict[str, Any], duration: float) -> None:
    lines = [
        "# Replica scaling: svc-policy's catalog read with 1 and 2 replicas",
        "",
        f"Machine: {result['machine']}. Everything (load generator, gateway, svc-policy replicas, PostgreSQL,",
        f"NATS) on this one machine; each point runs {duration:g} s after a warm-up. Command:",
        "`.venv/bin/python bench/replicas/run.py`.",
        "",
        f"`GET {PATH}` (a page of 5 policies of the seeded demo catalog, PostgreSQL queried per request), anonymous. *direct* = straight",
        "to the first replica; *gateway* = through the gateway, balanced over every replica.",
        "",
        "| replicas | conns | direct rps | p50 / p99 ms | gateway rps | p50 / p99 ms | gateway / direct | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        d, g = r["direct"], r["gateway"]
        lines.append(
            f"| {r['replicas']} | {r['concurrency']} | {d['rps']:,.0f} | {d['p50_ms']:.1f} / {d['p99_ms']:.1f} | "
            f"{g['rps']:,.0f} | {g['p50_ms']:.1f} / {g['p99_ms']:.1f} | {g['rps'] / d['rps']:.2f} | "
            f"{d['errors'] + g['errors']} |"
        )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
