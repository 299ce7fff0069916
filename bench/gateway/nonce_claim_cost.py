"""What PostgreSQL spends on the partner-signed path's nonce claims: the backend's CPU per claim-batch statement
(``kunruyi_gateway.partners.nonce_claims``), at batch sizes 1, 5 and 20, with the server's default plan choice
beside ``plan_cache_mode = force_generic_plan`` (the comparator: whether re-planning the statement is what costs).

The backend's CPU is read from ``/proc/<pid>/stat`` before and after each series; the wall time is one client
running the statements back to back.

    .venv/bin/python bench/gateway/nonce_claim_cost.py [--batches 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_gateway.partners.nonce_claims import _CLAIM_SQL
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import start_infra

ROOT = Path(__file__).resolve().parents[2]


def backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def series(url: str, plan_mode: str | None, batches: int, size: int) -> tuple[float, float]:
    """(backend CPU µs, wall µs) per statement claiming ``size`` fresh nonces."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        if plan_mode:
            await conn.execute(f"SET plan_cache_mode = {plan_mode}")
        pid = conn.get_server_pid()
        expires = datetime.now(UTC) + timedelta(minutes=10)

        async def claim() -> None:
            nonces = [uuid.uuid4().hex for _ in range(size)]
            await conn.fetch(
                _CLAIM_SQL, ["bench"] * size, nonces, [expires] * size, ["bench"] * size, [60.0] * size
            )

        for _ in range(20):  # the statement prepared and its plan chosen
            await claim()
        cpu, wall = backend_cpu_s(pid), time.perf_counter()
        for _ in range(batches):
            await claim()
        return (backend_cpu_s(pid) - cpu) / batches * 1e6, (time.perf_counter() - wall) / batches * 1e6
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=2000)
    args = parser.parse_args()
    infra = start_infra(ROOT / "var" / "bench" / "nonce_claims", fast_unsafe=True, log=lambda _m: None)
    try:
        asyncio.run(ensure_databases(infra.database_admin_url, ["bench_nonce_claims"], recreate=True))
        url = with_database(infra.database_admin_url, "bench_nonce_claims")
        upgrade_head("kunruyi_gateway", url)
        print("| batch | plans | PostgreSQL CPU µs / statement | per claim | wall µs / statement |")
        print("|---:|---|---:|---:|---:|")
        for size in (1, 5, 20):
            for mode in (None, "force_generic_plan"):
                cpu, wall = asyncio.run(series(url, mode, args.batches, size))
                print(f"| {size} | {mode or 'default'} | {cpu:.0f} | {cpu / size:.1f} | {wall:.0f} |")
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
