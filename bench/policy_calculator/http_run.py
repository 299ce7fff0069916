"""Benchmark: the calculator over HTTP at 16 concurrent clients, against a real svc-policy process, beside the
same answer computed in-process (the comparator: no HTTP, no JSON over the wire, one caller).

Starts its own embedded PostgreSQL and NATS (under a temporary directory), migrates, loads a synthetic catalog of
463 enterprise policies, runs `python -m kunruyi_policy serve`, then posts varied profiles (``--profiles`` distinct
synthetic enterprises plus the sample one, in turn: no answer is asked twice in a row, and a cache of whole answers
could not win) from 16 concurrent clients — the compact answer (the default for partners and 昆e服) and, with
``--detail full``, the traced one. ``--via-gateway`` also starts the gateway (its own database, rate limits lifted)
in front of svc-policy and posts through it, as 昆e服 and partners do. The comparator runs the endpoint's own steps
(``calculate`` then ``compact``) in this process on the same database, sequentially, over the same profiles.

The clients are a small keep-alive HTTP/1.1 client on raw asyncio sockets (one request in flight per connection,
the body read to its end), so that on a 2-CPU machine the load generator takes as little as possible from the
server; ``--client httpx`` uses httpx as before.

    .venv/bin/python bench/policy_calculator/http_run.py [--requests 800] [--concurrency 16] [--detail compact|full]
        [--profiles 300] [--workers 1] [--via-gateway] [--client raw|httpx]
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
from kunruyi_policy.demo.synthetic import synthetic_catalog, synthetic_enterprises
from sqlalchemy import text
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


def bodies(profiles: int) -> list[dict[str, object]]:
    """The sample profile, then ``profiles`` distinct synthetic enterprises (revenue, R&D, staff, patents,
    qualifications, district and chain all vary)."""
    return [
        {"profile": profile, "beneficiary": "enterprise", "evaluation_date": "2025-06-01"}
        for profile in [SAMPLE_ENTERPRISE, *synthetic_enterprises(profiles, seed=5)]
    ]


async def in_process(
    url: str, requests: int, detail: str, posted: list[dict[str, object]]
) -> tuple[list[float], float, int]:
    """The comparator: the endpoint's work (profile check, calculate, compact, JSON) without HTTP, one caller."""
    engine = create_async_engine(url)
    latencies: list[float] = []
    size = 0
    at = date(2025, 6, 1)
    async with AsyncSession(engine) as session:
        for body in posted[:20]:
            profile = validated_profile("enterprise", dict(body["profile"]))  # type: ignore[call-overload]
            await calculate(session, "enterprise", profile, at, traced=detail == "full")
        begun_all = time.perf_counter()
        for i in range(requests):
            body = posted[i % len(posted)]
            begun = time.perf_counter()
            result = await calculate(
                session,
                "enterprise",
                validated_profile("enterprise", dict(body["profile"])),  # type: ignore[call-overload]
                at,
                traced=detail == "full",
            )
            if detail == "compact":
                result = compact(result)
            size += len(json.dumps(result, ensure_ascii=False, default=str).encode())
            latencies.append((time.perf_counter() - begun) * 1000)
        elapsed = time.perf_counter() - begun_all
    await engine.dispose()
    return latencies, elapsed, size // max(requests, 1)


class RawClient:
    """One keep-alive HTTP/1.1 connection, one POST in flight; returns the status and the body's length."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, target: str, payload: bytes) -> tuple[int, int]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            (
                f"POST {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: */*\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            ).encode()
            + payload
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value.strip())
            elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            length = 0
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                length += size
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status, length

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    base: str, requests: int, concurrency: int, detail: str, posted: list[dict[str, object]], client_kind: str
) -> tuple[list[float], float, int]:
    payloads = [json.dumps(b, ensure_ascii=False).encode() for b in posted]
    path = f"/api/v1/policy-calculator?detail={detail}"
    sizes: list[int] = []
    latencies: list[float] = []
    counter = 0

    def next_payload() -> bytes:
        nonlocal counter
        counter += 1
        return payloads[counter % len(payloads)]

    if client_kind == "httpx":
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)
        ) as c:
            headers = {"content-type": "application/json"}
            for _ in range(20):
                warm = await c.post(path, content=next_payload(), headers=headers)
                assert warm.status_code == 200, warm.text

            async def httpx_client() -> None:
                nonlocal requests
                while requests > 0:
                    requests -= 1
                    begun = time.perf_counter()
                    response = await c.post(path, content=next_payload(), headers=headers)
                    latencies.append((time.perf_counter() - begun) * 1000)
                    assert response.status_code == 200, response.text
                    sizes.append(len(response.content))

            begun = time.perf_counter()
            await asyncio.gather(*(httpx_client() for _ in range(concurrency)))
            return latencies, time.perf_counter() - begun, sum(sizes) // len(sizes)

    host, port = base.removeprefix("http://").rsplit(":", 1)
    clients = [RawClient(host, int(port)) for _ in range(concurrency)]
    for i in range(20):
        status, _ = await clients[i % concurrency].post(path, next_payload())
        assert status == 200, status

    async def raw_client(c: RawClient) -> None:
        nonlocal requests
        while requests > 0:
            requests -= 1
            begun = time.perf_counter()
            status, length = await c.post(path, next_payload())
            latencies.append((time.perf_counter() - begun) * 1000)
            assert status == 200, status
            sizes.append(length)

    begun = time.perf_counter()
    await asyncio.gather(*(raw_client(c) for c in clients))
    elapsed = time.perf_counter() - begun
    for c in clients:
        c.close()
    return latencies, elapsed, sum(sizes) // len(sizes)


async def deliveries_settled(gateway_url: str, timeout_s: float = 180.0) -> int:
    """Wait until the gateway has consumed the catalog's publication events and delivered them to the portal
    emulator (background work of its own that would otherwise run during the measurement); returns how many."""
    engine = create_async_engine(gateway_url)
    deadline = time.monotonic() + timeout_s
    stable_since, last = time.monotonic(), -1
    try:
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                total, pending = (
                    await conn.execute(
                        text(
                            "SELECT count(*), count(*) FILTER (WHERE delivered_at IS NULL) FROM outbound_deliveries"
                        )
                    )
                ).one()
            if total != last:
                stable_since, last = time.monotonic(), total
            elif pending == 0 and time.monotonic() - stable_since > 3:
                return int(total)
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{pending} of {total} deliveries still pending after {timeout_s:.0f} s")
    finally:
        await engine.dispose()


def wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} not ready")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (uvicorn's worker processes under ``--workers``)."""
    return cpu_seconds(pid) + sum(children_cpu(pid).values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--policies", type=int, default=463)
    parser.add_argument(
        "--profiles", type=int, default=300, help="distinct synthetic profiles posted in turn"
    )
    parser.add_argument("--detail", choices=("compact", "full"), default="compact")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of svc-policy")
    parser.add_argument("--gateway-workers", type=int, default=1)
    parser.add_argument("--via-gateway", action="store_true", help="post through the gateway")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    args = parser.parse_args()
    posted = bodies(args.profiles)
    with tempfile.TemporaryDirectory(prefix="kry-policy-bench-") as tmp:
        infra = start_infra(Path(tmp), fast_unsafe=True, log=lambda _m: None)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            databases = ["bench_policy", "bench_gateway"] if args.via_gateway else ["bench_policy"]
            asyncio.run(ensure_databases(infra.database_admin_url, databases, recreate=True))
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
                [
                    sys.executable,
                    "-m",
                    "kunruyi_policy",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                ],
                env=env,
            )
            processes.append(server)
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz")
            gateway = None
            if args.via_gateway:
                gateway_url = with_database(infra.database_admin_url, "bench_gateway")
                upgrade_head("kunruyi_gateway", gateway_url)
                gateway_port, portal_port = free_port(), free_port()
                # The 一企来办 portal emulator: the gateway forwards the catalog's publications to it. Without it
                # those deliveries fail and are retried in the background during the measurement.
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "kunruyi_emulators.yiqilaiban", "--port", str(portal_port)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
                wait_ready(f"http://127.0.0.1:{portal_port}/healthz")
                gateway = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "kunruyi_gateway",
                        "serve",
                        "--port",
                        str(gateway_port),
                        "--workers",
                        str(args.gateway_workers),
                    ],
                    env={
                        **os.environ,
                        "KRY_GATEWAY_DATABASE_URL": gateway_url,
                        "KRY_GATEWAY_NATS_URL": infra.nats_url,
                        "KRY_GATEWAY_PUBLIC_RATE": "100000000/minute",
                        "KRY_GATEWAY_STAFF_RATE": "100000000/minute",
                        "KRY_GATEWAY_UPSTREAM_POLICY_URL": base,
                        "KRY_GATEWAY_YIQILAIBAN_URL": f"http://127.0.0.1:{portal_port}",
                        "KRY_GATEWAY_LOG_LEVEL": "WARNING",
                    },
                )
                processes.append(gateway)
                base = f"http://127.0.0.1:{gateway_port}"
                # its /readyz also probes the other services' upstreams, which this bench does not start
                wait_ready(f"{base}/healthz")
                delivered = asyncio.run(deliveries_settled(gateway_url))
                print(f"the gateway delivered {delivered} catalog publications to the portal before the run")
            for body in posted[: 5 * args.workers]:  # the first answers compile the catalog (in every worker)
                response = httpx.post(
                    f"{base}/api/v1/policy-calculator?detail={args.detail}", json=body, timeout=60
                )
                assert response.status_code == 200, response.text
            postmaster = int(next(Path(tmp).rglob("postmaster.pid")).read_text().split()[0])
            server_cpu, database_cpu = process_tree_cpu(server.pid), children_cpu(postmaster)
            gateway_cpu = process_tree_cpu(gateway.pid) if gateway is not None else 0.0
            client_cpu = time.process_time()
            latencies, elapsed, size = asyncio.run(
                drive(base, args.requests, args.concurrency, args.detail, posted, args.client)
            )
            server_cpu = process_tree_cpu(server.pid) - server_cpu
            if gateway is not None:
                gateway_cpu = process_tree_cpu(gateway.pid) - gateway_cpu
            client_cpu = time.process_time() - client_cpu
            database_cpu = sum(v - database_cpu.get(k, 0.0) for k, v in children_cpu(postmaster).items())
            ordered = sorted(latencies)
            print(f"load average during run: {os.getloadavg()}")
            http_rps = len(latencies) / elapsed
            route = (
                f"through the gateway ({args.gateway_workers} worker)" if gateway is not None else "direct"
            )
            print(
                f"HTTP ({args.detail}, {size / 1024:.0f} KB mean), {route}, {args.concurrency} concurrent "
                f"{args.client} clients, {len(latencies)} requests over {len(posted)} profiles, "
                f"{args.workers} uvicorn worker(s): p50 {statistics.median(latencies):.1f} ms, "
                f"p99 {ordered[int(0.99 * len(ordered)) - 1]:.1f} ms, {http_rps:.0f} answers/s"
            )
            # includes drive()'s 20 warm-up requests; on a shared machine the CPU time says more than the wall clock
            answered = len(latencies) + 20
            gateway_part = f"gateway {gateway_cpu / answered * 1000:.2f} ms, " if gateway is not None else ""
            print(
                f"CPU per answer: svc-policy {server_cpu / answered * 1000:.2f} ms, {gateway_part}"
                f"PostgreSQL backends {database_cpu / answered * 1000:.2f} ms, "
                f"the {args.concurrency} clients (this process) {client_cpu / answered * 1000:.2f} ms"
            )
            local, local_elapsed, local_size = asyncio.run(
                in_process(url, min(args.requests, 200), args.detail, posted)
            )
            local_rps = len(local) / local_elapsed
            print(
                f"in-process comparator ({args.detail}, {local_size / 1024:.0f} KB mean), one caller: "
                f"p50 {statistics.median(local):.1f} ms, {local_rps:.0f} answers/s; "
                f"HTTP/in-process throughput ratio {http_rps / local_rps:.2f}"
            )
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            infra.stop()


if __name__ == "__main__":
    main()
