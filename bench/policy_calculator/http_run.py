"""Benchmark: the calculator over HTTP at 16 concurrent clients, against a real svc-policy process, beside the
same answer computed in-process (the comparator: no HTTP, no JSON over the wire, one caller).

Starts its own embedded PostgreSQL and NATS (under a temporary directory), migrates, loads a synthetic catalog of
463 enterprise policies, runs `python -m kunruyi_policy serve`, then posts one profile from 16 concurrent clients —
the compact answer (the default for partners and 昆e服) and, with ``--detail full``, the traced one. The comparator
runs the endpoint's own steps (``calculate`` then ``compact``) in this process on the same database, sequentially.

    .venv/bin/python bench/policy_calculator/http_run.py [--requests 800] [--concurrency 16] [--detail compact|full]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_launcher.apps import enable_development_mode
from kunruyi_launcher.infra import ensure_databases, free_port, with_database
from kunruyi_launcher.stack import start_infra
from kunruyi_policy.calculator.service import calculate, compact, validated_profile
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE
from kunruyi_policy.demo.seed import seed_policies, seed_taxonomy
from kunruyi_policy.demo.synthetic import synthetic_catalog
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

# A local benchmark: its apps run on the development keys (they refuse them otherwise).
enable_development_mode()


async def load_catalog(url: str, size: int) -> None:
    engine = create_async_engine(url)
    async with AsyncSession(engine) as session:
        await seed_taxonomy(session)
        await seed_policies(session, synthetic_catalog(size, beneficiary="enterprise"), is_demo=False)
        await session.commit()
    await engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(parent: int) -> dict[int, float]:
    """CPU seconds of each child of ``parent`` (PostgreSQL's backends under its postmaster)."""
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return found


BODY = {"profile": SAMPLE_ENTERPRISE, "beneficiary": "enterprise", "evaluation_date": "2025-06-01"}


async def in_process(url: str, requests: int, detail: str) -> tuple[list[float], float, int]:
    """The comparator: the endpoint's work (profile check, calculate, compact, JSON) without HTTP, one caller."""
    engine = create_async_engine(url)
    latencies: list[float] = []
    size = 0
    async with AsyncSession(engine) as session:
        profile = validated_profile("enterprise", SAMPLE_ENTERPRISE)
        at = date(2025, 6, 1)
        for _ in range(20):
            await calculate(session, "enterprise", profile, at, traced=detail == "full")
        begun_all = time.perf_counter()
        for _ in range(requests):
            begun = time.perf_counter()
            result = await calculate(
                session,
                "enterprise",
                validated_profile("enterprise", SAMPLE_ENTERPRISE),
                at,
                traced=detail == "full",
            )
            if detail == "compact":
                result = compact(result)
            size = len(json.dumps(result, ensure_ascii=False, default=str).encode())
            latencies.append((time.perf_counter() - begun) * 1000)
        elapsed = time.perf_counter() - begun_all
    await engine.dispose()
    return latencies, elapsed, size


async def drive(base: str, requests: int, concurrency: int, detail: str) -> tuple[list[float], float, int]:
    body = BODY
    size = 0
    latencies: list[float] = []
    remaining = requests

    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as c:
        path = f"/api/v1/policy-calculator?detail={detail}"
        for _ in range(20):
            warm = await c.post(path, json=body)
            assert warm.status_code == 200
            size = len(warm.content)

        async def client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                begun = time.perf_counter()
                response = await c.post(path, json=body)
                latencies.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, response.text

        begun = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return latencies, time.perf_counter() - begun, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--policies", type=int, default=463)
    parser.add_argument("--detail", choices=("compact", "full"), default="compact")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kry-policy-bench-") as tmp:
        infra = start_infra(Path(tmp), fast_unsafe=True, log=lambda _m: None)
        server = None
        try:
            asyncio.run(ensure_databases(infra.database_admin_url, ["bench_policy"], recreate=True))
            url = with_database(infra.database_admin_url, "bench_policy")
            upgrade_head("kunruyi_policy", url)
            begun = time.perf_counter()
            asyncio.run(load_catalog(url, args.policies))
            print(f"catalog of {args.policies} policies loaded in {time.perf_counter() - begun:.1f} s")
            port = free_port()
            env = {
                **os.environ,
                "KRY_POLICY_DATABASE_URL": url,
                "KRY_POLICY_NATS_URL": infra.nats_url,
                "KRY_POLICY_LOG_LEVEL": "WARNING",
            }
            server = subprocess.Popen(
                [sys.executable, "-m", "kunruyi_policy", "serve", "--port", str(port)], env=env
            )
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            for _ in range(5):  # the first answers compile the catalog: not part of the CPU per answer below
                httpx.post(f"{base}/api/v1/policy-calculator?detail={args.detail}", json=BODY, timeout=60)
            postmaster = int(next(Path(tmp).rglob("postmaster.pid")).read_text().split()[0])
            server_cpu, database_cpu = cpu_seconds(server.pid), children_cpu(postmaster)
            client_cpu = time.process_time()
            latencies, elapsed, size = asyncio.run(drive(base, args.requests, args.concurrency, args.detail))
            server_cpu = cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            database_cpu = sum(v - database_cpu.get(k, 0.0) for k, v in children_cpu(postmaster).items())
            ordered = sorted(latencies)
            print(f"load average during run: {os.getloadavg()}")
            http_rps = len(latencies) / elapsed
            print(
                f"HTTP ({args.detail}, {size / 1024:.0f} KB), {args.concurrency} concurrent clients, "
                f"{len(latencies)} requests, one uvicorn worker: p50 {statistics.median(latencies):.1f} ms, "
                f"p99 {ordered[int(0.99 * len(ordered)) - 1]:.1f} ms, {http_rps:.0f} answers/s"
            )
            # includes drive()'s 20 warm-up requests; on a shared machine the CPU time says more than the wall clock
            answered = len(latencies) + 20
            print(
                f"CPU per answer: server process {server_cpu / answered * 1000:.2f} ms, "
                f"PostgreSQL backends {database_cpu / answered * 1000:.2f} ms, "
                f"the 16 clients (httpx, this process) {client_cpu / answered * 1000:.2f} ms"
            )
            local, local_elapsed, local_size = asyncio.run(
                in_process(url, min(args.requests, 200), args.detail)
            )
            local_rps = len(local) / local_elapsed
            print(
                f"in-process comparator ({args.detail}, {local_size / 1024:.0f} KB), one caller: "
                f"p50 {statistics.median(local):.1f} ms, {local_rps:.0f} answers/s; "
                f"HTTP/in-process throughput ratio {http_rps / local_rps:.2f}"
            )
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
            infra.stop()


if __name__ == "__main__":
    main()
