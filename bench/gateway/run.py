"""Gateway benchmarks (issue 7, and the proxy comparison of issue 2).

    .venv/bin/python bench/gateway/run.py [--duration 5] [--only sig,proxy,qr,floors] [--gateway-workers 1] [--out …]

1. signature verifications per second, in-process (pure verify: canonical query + string to sign + HMAC; and the
   full verifier with its PostgreSQL nonce claim);
2. a small GET straight to a service vs through the gateway (anonymous public route, and with partner signatures)
   at 1, 16 and 64 connections;
3. the 昆e服 page at 32 connections vs fetching the same four pieces of data straight from the services;
4. (``--only floors``, not in the default set) the same GET through two HTTP-parsing floors (``bare_proxy.py``:
   its own protocol on uvloop, and a bare ASGI app on uvicorn) beside the direct call and the gateway.

The services are a stub (bench/gateway/stub_services.py) so the figures measure the gateway, not a database
query in a service. Load comes from a separate process (bench/gateway/loadgen.py). Uses KRY_DATABASE_URL /
KRY_NATS_URL when set, else starts PostgreSQL and NATS under var/bench/gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from kunruyi_launcher.apps import enable_development_mode

# A local benchmark: its apps run on the development keys (they refuse them otherwise).
enable_development_mode()

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def bench_signatures(n: int = 50_000) -> list[dict[str, Any]]:
    from kunruyi_gateway.partners.signature import sign, signature_matches, string_to_sign

    rows = []
    query = "lang=zh&q=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF&b=1"
    body = b'{"uscc":"91320583MA1XXXXXX0"}'
    for method, count in (("HMAC-SHA256", n), ("HMAC-SM3", max(n // 20, 500))):
        args = dict(
            method="POST",
            path="/api/v1/policy-calculator",
            raw_query=query,
            app_key="demo-partner",
            timestamp="1763712000000",
            nonce="n0nce-0001-abcdef",
            body=body,
            sign_method=method,
        )
        good = sign("s3cr3t-demo", string_to_sign(**args), method)  # type: ignore[arg-type]
        started = time.perf_counter()
        for _ in range(count):
            assert signature_matches("s3cr3t-demo", string_to_sign(**args), good, method)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        rows.append(
            {
                "what": f"verify {method} (canonical query + string to sign + HMAC)",
                "per_s": round(count / elapsed),
            }
        )
    return rows


async def bench_full_verifier(
    db_url: str, pii_key: str, app_key: str, secret: str, n: int = 3000
) -> list[dict[str, Any]]:
    from kunruyi_client import signed_headers
    from kunruyi_common.crypto import FieldCipher
    from kunruyi_common.db import create_engine
    from kunruyi_gateway.partners.verifier import PartnerVerifier
    from starlette.datastructures import Headers

    engine = create_engine(db_url, pool_size=16)
    verifier = PartnerVerifier(
        engine, FieldCipher.from_b64(pii_key), window_s=300, nonce_ttl_s=600, cache_ttl_s=5
    )
    rows = []
    try:
        for concurrency in (1, 16):
            requests = [
                Headers(signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies"))
                for _ in range(n)
            ]

            async def work(queue: Any) -> None:
                for headers in queue:
                    await verifier.verify(
                        method="GET", path="/api/v1/policies", raw_query="", headers=headers, body=b""
                    )

            started = time.perf_counter()
            shared = iter(requests)
            await asyncio.gather(*(work(shared) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            rows.append(
                {
                    "what": f"full verifier incl. PostgreSQL nonce claim, {concurrency} concurrent",
                    "per_s": round(n / elapsed),
                }
            )
    finally:
        await verifier.close()
        await engine.dispose()
    return rows


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (uvicorn's worker processes), from /proc."""
    total = 0.0
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            pids += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return total + sum(own_cpu_seconds(one) for one in pids)


def own_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of one process, all its threads, from /proc; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    url: str,
    paths: list[str],
    concurrency: int,
    duration: float,
    sign: str | None = None,
    server: int | None = None,
) -> dict[str, Any]:
    """One load run; with ``server`` (a pid) also that process's CPU microseconds per request."""
    before = cpu_seconds(server) if server else 0.0
    cmd = [PY, str(HERE / "loadgen.py"), "--url", url, "-c", str(concurrency), "-d", str(duration)]
    for p in paths:
        cmd += ["--path", p]
    if sign:
        # Signed ahead, as a partner signs on its own machine (enough for 8,000 requests/s; then on the fly).
        cmd += ["--sign", sign, "--presign", str(int(duration * 8000))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration * 6 + 90).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if server and result["requests"]:
        result["cpu_us"] = round(1e6 * (cpu_seconds(server) - before) / result["requests"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--only", default="sig,proxy,qr")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--gateway-workers", type=int, default=1, help="worker processes of the gateway (serve --workers)"
    )
    parser.add_argument(
        "--upstream",
        choices=("unix", "tcp"),
        default="unix",
        help="how the gateway reaches the stub: its Unix socket (as the launcher wires the services) or its port",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))

    sys.path.insert(0, str(ROOT / "deploy" / "launcher"))
    from kunruyi_common.crypto import FieldCipher
    from kunruyi_common.db import create_engine, create_sessionmaker
    from kunruyi_common.db.migrations import upgrade_head
    from kunruyi_common.http_server import unix_socket_url
    from kunruyi_gateway.partners import service as keys
    from kunruyi_gateway.service_codes.models import ServiceCode
    from kunruyi_gateway.service_codes.tokens import code_token
    from kunruyi_gateway.settings import Settings
    from kunruyi_launcher.infra import ensure_databases, free_port, with_database
    from kunruyi_launcher.stack import start_infra, unix_socket_path

    infra = start_infra(
        ROOT / "var" / "bench" / "gateway", fast_unsafe=True, fresh_events=True, log=lambda _m: None
    )
    procs: list[subprocess.Popen[bytes]] = []
    sections: dict[str, Any] = {
        "machine": machine(),
        "gateway_workers": args.gateway_workers,
        "upstream": args.upstream,
    }
    try:
        asyncio.run(ensure_databases(infra.database_admin_url, ["bench_gateway"], recreate=True))
        db_url = with_database(infra.database_admin_url, "bench_gateway")
        upgrade_head("kunruyi_gateway", db_url)
        settings = Settings(database_url=db_url)

        async def prepare() -> tuple[str, str, str]:
            engine = create_engine(db_url, pool_size=2)
            async with create_sessionmaker(engine)() as session, session.begin():
                issued = await keys.create_key(
                    session,
                    FieldCipher.from_b64(settings.pii_key),
                    name="bench",
                    scopes=list(keys.SCOPES),
                    rate="100000000/minute",
                )
                code = ServiceCode(
                    kind="enterprise",
                    target="91320583MA1XXXXX9M",
                    name="基准测试企业",
                    industry_chain="集成电路",
                    created_by="bench",
                )
                session.add(code)
                await session.flush()
                token = code_token(code.id, settings.service_code_secret)
            await engine.dispose()
            return issued.app_key.app_key, issued.secret, token

        app_key, secret, qr_token = asyncio.run(prepare())

        if "sig" in only:
            sections["signatures"] = bench_signatures() + asyncio.run(
                bench_full_verifier(db_url, settings.pii_key, app_key, secret)
            )

        stub_port, gw_port = free_port(), free_port()
        stub_socket = unix_socket_path(stub_port)
        procs.append(
            subprocess.Popen(
                [PY, str(HERE / "stub_services.py"), str(stub_port), str(stub_socket)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        stub = f"http://127.0.0.1:{stub_port}"
        env = {
            **os.environ,
            "KRY_GATEWAY_DATABASE_URL": db_url,
            "KRY_GATEWAY_NATS_URL": infra.nats_url,
            "KRY_GATEWAY_PUBLIC_RATE": "100000000/minute",
            "KRY_GATEWAY_STAFF_RATE": "100000000/minute",
        }
        for name in ("POLICY", "TALENT", "DISBURSEMENT", "MATCHING"):
            env[f"KRY_GATEWAY_UPSTREAM_{name}_URL"] = (
                unix_socket_url(stub_socket) if args.upstream == "unix" else stub
            )
        procs.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "kunruyi_gateway",
                    "serve",
                    "--port",
                    str(gw_port),
                    "--workers",
                    str(args.gateway_workers),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        gw = f"http://127.0.0.1:{gw_port}"
        # The floor: a process that only copies bytes between the client and the stub (bench/gateway/bare_relay.py).
        relay_port = free_port()
        relay_pid = 0
        if "proxy" in only:
            procs.append(
                subprocess.Popen(
                    [PY, str(HERE / "bare_relay.py"), str(relay_port), str(stub_port)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            relay_pid = procs[-1].pid
        relay = f"http://127.0.0.1:{relay_port}"
        # Two floors that parse HTTP on both sides (bench/gateway/bare_proxy.py): on a protocol of their own, and
        # as a bare ASGI app on uvicorn — what the ASGI server costs a proxied call, and what the gateway's own
        # work does.
        floors: dict[str, tuple[str, int]] = {}
        if "floors" in only:
            for way in ("protocol", "uvicorn"):
                port = free_port()
                procs.append(
                    subprocess.Popen(
                        [PY, str(HERE / "bare_proxy.py"), str(port), str(stub_socket), way],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
                floors[way] = (f"http://127.0.0.1:{port}", procs[-1].pid)
        # The same gateway without the 昆e服 page cache: what a code scanned for the first time in a while costs.
        cold_port = free_port()
        if "qr" in only:
            procs.append(
                subprocess.Popen(
                    [PY, "-m", "kunruyi_gateway", "serve", "--port", str(cold_port)],
                    env={**env, "KRY_GATEWAY_QR_PAGE_CACHE_TTL_S": "0"},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_ready(f"http://127.0.0.1:{cold_port}/readyz")
        wait_ready(f"{stub}/readyz")
        wait_ready(f"{gw}/readyz")

        if "proxy" in only:
            rows = []
            for c in (1, 16, 64):
                direct = load(stub, ["/api/v1/policies"], c, args.duration, server=procs[0].pid)
                anon = load(gw, ["/api/v1/policies"], c, args.duration, server=procs[1].pid)
                signed = load(
                    gw,
                    ["/api/v1/policies"],
                    c,
                    args.duration,
                    sign=f"{app_key}:{secret}",
                    server=procs[1].pid,
                )
                floor = load(relay, ["/api/v1/policies"], c, args.duration, server=relay_pid)
                rows.append(
                    {
                        "concurrency": c,
                        "direct": direct,
                        "gateway": anon,
                        "gateway_signed": signed,
                        "relay": floor,
                    }
                )
            sections["proxy"] = rows
        if floors:
            for url, _pid in floors.values():
                wait_ready(f"{url}/readyz")  # the stub's, through the floor
            floor_rows = []
            for c in (16, 64):
                row = {
                    "concurrency": c,
                    "direct": load(stub, ["/api/v1/policies"], c, args.duration, server=procs[0].pid),
                    "gateway": load(gw, ["/api/v1/policies"], c, args.duration, server=procs[1].pid),
                }
                for way, (url, pid) in floors.items():
                    row[way] = load(url, ["/api/v1/policies"], c, args.duration, server=pid)
                floor_rows.append(row)
            sections["floors"] = floor_rows
        if "qr" in only:
            page = load(gw, [f"/q/{qr_token}"], 32, args.duration)
            uncached = load(f"http://127.0.0.1:{cold_port}", [f"/q/{qr_token}"], 32, args.duration)
            straight = load(
                stub,
                [
                    "/api/v1/policy-calculator",
                    "/api/v1/disbursements",
                    "/api/v1/brokers",
                    "/api/v1/housing/projects",
                    "/api/v1/taxonomy",
                ],
                32,
                args.duration,
            )
            sections["qr"] = {"page": page, "uncached": uncached, "direct": straight}
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        infra.stop()

    print(json.dumps(sections, ensure_ascii=False, indent=1))
    write_results(Path(args.out), sections, args.duration)


def write_results(path: Path, s: dict[str, Any], duration: float) -> None:
    lines = [
        "# Gateway benchmarks",
        "",
        f"Machine: {s['machine']}. Everything (load generator, gateway, stub services, PostgreSQL, NATS) on this",
        f"one machine; each point runs {duration:g} s after a warm-up. Gateway worker processes: "
        f"{s.get('gateway_workers', 1)}. The gateway reaches the stub on its "
        + ("Unix socket (as the launcher wires the services)" if s.get("upstream") == "unix" else "TCP port")
        + "; the direct calls and the relay use its TCP port. Command: `.venv/bin/python bench/gateway/run.py"
        + (f" --gateway-workers {s['gateway_workers']}" if s.get("gateway_workers", 1) != 1 else "")
        + (" --upstream tcp" if s.get("upstream") == "tcp" else "")
        + "`.",
        "",
    ]
    if "signatures" in s:
        lines += ["## Signature verification (in-process)", "", "| what | per second |", "|---|---:|"]
        lines += [f"| {r['what']} | {r['per_s']:,} |" for r in s["signatures"]]
        lines += ["", "Goal: ≥ 20,000/s for HMAC-SHA256 (pure verify).", ""]
    if "proxy" in s:
        lines += [
            "## Small GET: straight to the service vs through the gateway",
            "",
            "`GET /api/v1/policies` (≈0.5 KB JSON). *anon* = public route, no credentials (gate + rate limit +"
            " proxy); *signed* = partner signature verified, nonce claimed in PostgreSQL, internal token minted;"
            " *relay* = the floor: a process that only copies bytes between client and stub (`bare_relay.py`).",
            "",
            "| conns | direct rps | p50 / p99 ms | gateway anon rps | p50 / p99 ms | ratio | added p50 ms |"
            " gateway signed rps | p50 / p99 ms | ratio | relay rps | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["proxy"]:
            d, g, x = r["direct"], r["gateway"], r["gateway_signed"]
            f = r.get("relay") or {"rps": 0.0}
            lines.append(
                f"| {r['concurrency']} | {d['rps']:,} | {d['p50_ms']} / {d['p99_ms']} | {g['rps']:,} | "
                f"{g['p50_ms']} / {g['p99_ms']} | {g['rps'] / d['rps']:.2f} | {g['p50_ms'] - d['p50_ms']:.2f} | "
                f"{x['rps']:,} | {x['p50_ms']} / {x['p99_ms']} | {x['rps'] / d['rps']:.2f} | "
                f"{f['rps']:,} | {f['rps'] / d['rps']:.2f} |"
            )
        errs = sum(r[k]["errors"] for r in s["proxy"] for k in ("direct", "gateway", "gateway_signed"))
        lines += ["", f"Non-2xx answers during the runs: {errs}.", ""]
        if all("cpu_us" in r["gateway"] for r in s["proxy"]):
            lines += [
                "CPU time per request of the serving process (all its workers; from /proc, user + system), in the"
                " same runs — steadier than requests/s when other work shares the CPUs:",
                "",
                "| conns | stub (direct) µs | gateway anon µs | gateway signed µs | relay µs |",
                "|---:|---:|---:|---:|---:|",
            ]
            for r in s["proxy"]:
                lines.append(
                    f"| {r['concurrency']} | {r['direct'].get('cpu_us', '')} | {r['gateway']['cpu_us']} | "
                    f"{r['gateway_signed'].get('cpu_us', '')} | {(r.get('relay') or {}).get('cpu_us', '')} |"
                )
            lines.append("")
    if "floors" in s:
        lines += [
            "## Two HTTP-parsing floors beside the gateway",
            "",
            "The same GET through `bare_proxy.py`: requests and answers parsed with httptools, a request id, headers"
            " filtered, a pooled keep-alive connection to the stub's Unix socket — no gate, metrics, access line or"
            " error answers. *protocol* = its own asyncio protocol on uvloop; *uvicorn* = a bare ASGI app served as"
            " every app is. CPU µs per request of the serving process in brackets.",
            "",
            "| conns | direct rps (µs) | gateway anon rps (µs) | ratio | bare proxy, protocol (µs) | ratio |"
            " bare proxy, uvicorn (µs) | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["floors"]:
            d = r["direct"]
            cells = [f"{d['rps']:,} ({d.get('cpu_us', '')})"]
            for key in ("gateway", "protocol", "uvicorn"):
                x = r[key]
                cells += [f"{x['rps']:,} ({x.get('cpu_us', '')})", f"{x['rps'] / d['rps']:.2f}"]
            lines.append(f"| {r['concurrency']} | " + " | ".join(cells) + " |")
        lines.append("")
    if "qr" in s:
        p, d = s["qr"]["page"], s["qr"]["direct"]
        u = s["qr"].get("uncached")
        lines += [
            "## 昆e服 page at 32 connections",
            "",
            "*page* = `GET /q/{token}`, one code scanned again and again (a crowd at a park's door): the code and "
            "the page's public sections from the replica's page cache (`QR_PAGE_CACHE_TTL_S`, 5 s), the scan "
            "recorded off the response path in batches (count + outbox event), HTML rendered. *uncached* = the same "
            "with the cache off: the code read from PostgreSQL and four service calls in parallel on every scan. "
            "*direct* = the same four JSON answers fetched one after another straight from the services on one "
            "connection.",
            "",
            "| | pages/s | p50 ms | p99 ms |",
            "|---|---:|---:|---:|",
            f"| page through the gateway | {p['rps']:,} | {p['p50_ms']} | {p['p99_ms']} |",
            f"| same data straight from the services | {d['rps']:,} | {d['p50_ms']} | {d['p99_ms']} |",
            f"| ratio (page / direct) | {p['rps'] / d['rps']:.2f} | | |",
        ]
        if u is not None:
            lines += [
                f"| page, cache off | {u['rps']:,} | {u['p50_ms']} | {u['p99_ms']} |",
                f"| ratio (page, cache off / direct) | {u['rps'] / d['rps']:.2f} | | |",
            ]
        lines += [
            "",
        ]
    try:
        load = os.getloadavg()
        lines += [
            f"Load average when the run ended: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) on "
            f"{os.cpu_count()} CPUs — other work on the machine shows in these figures.",
            "",
        ]
    except OSError:
        pass
    lines += NOTES.splitlines()
    # Earlier runs and experiments written below the marker stay; everything above it is this run's.
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = old.find(GENERATED_END)
        if at >= 0:
            kept = old[at + len(GENERATED_END) :]
    path.write_text("\n".join(lines).rstrip("\n") + "\n\n" + GENERATED_END + kept, encoding="utf-8")


GENERATED_END = (
    "<!-- end of what run.py writes (it rewrites everything above); the sections below are earlier runs and"
    " experiments, kept as they are -->"
)

NOTES = """## Reading the figures

- The comparator is a bare Starlette stub with no middleware, no logging and a constant answer, served as every app
  is (the kit's `http_server.serve`: uvicorn, httptools, uvloop, the answer in one send); the gateway does the
  platform's full request handling on every call (request id, JSON access line, Prometheus metrics, the
  problem+json error layer, the gate with its rate limit) and then a second HTTP hop. The load generator, the stub,
  the gateway, PostgreSQL and NATS share two CPUs, so the ratio is set by CPU per request: with the stub at ≈50–60 µs
  and the load generator at ≈30 µs per call, the gateway reaches 0.5 of a direct call only at ≈90 µs per call.
  When other work loads the machine, every process gets a smaller share and the ratios move (up, usually): the
  CPU table (µs per request of each serving process, from /proc) is the steadier figure. The VM's CPUs are shared
  with its neighbours too (`top` showed up to 50 % steal during the 2026-12-07 runs).
- Cut on 2026-12-07: every app's answer leaves in one send (uvicorn wrote the head and the body as two segments —
  the stub gained from it as much as the gateway: ≈65 → ≈50–60 µs a call, so the ratio moved less than the
  gateway's own throughput); the gateway reaches the services on their Unix sockets (`--upstream unix`, as the
  launcher wires them; `--upstream tcp` measures the TCP hop compose uses); the access line is written without a
  log record and flushed once per loop step (≈24 → ≈9 µs in a tight loop), generated request ids never send it
  through the full redaction, and a relayed answer no longer carries the service's Date and Server beside the
  gateway's. In paired runs against 77e0d6a (same stub, 1 worker, 16 connections, quiet machine) the gateway's CPU
  per proxied call went from 230–300 to 140–190 µs and its throughput from 3.7–5.1 k to 5.8–8.6 k calls/s.
- *relay* is the floor: `bare_relay.py` copies bytes between the client's connection and one of its own to the stub
  (uvloop protocols, no parsing). It costs ≈30 µs per call and keeps 0.8–1.1 of direct, so the sockets and the
  extra hop are not what holds the gateway back; the Python work per call is.
- Where the gateway's time goes (in process, the ASGI app called directly with the stub as upstream, CPU µs per
  call, 16 concurrent, minimum of 3 × 4,000 calls, final code, 2026-12-06): ≈155–200 in all; without the upstream
  exchange ≈51 (so the exchange on asyncio streams — pool, head, `httptools` parse, body, relay — ≈105–145);
  without the access line ≈100–127 (≈20 µs in a tight loop, 50–90 inside the app, where its code and data are out
  of the caches; one line in twenty goes through the full redaction because a random request id holds an 11-digit
  run); without the gate ≈10 less; the fast path's own shell with the metrics ≈14. The server (uvicorn: HTTP
  parsing, two writes per answer) adds ≈50–80 per call outside the app.
- Cut on 2026-12-06 (issue 14 §3): proxied routes skip FastAPI's middleware stack and router
  (`routing/fast_path.py`: the same request id, gate, exception handlers, metrics labels and access line); one
  internal token per principal per second instead of an HMAC-signed JWT per call (the same bytes); staff and public
  rate windows in a dict of the gateway's own for `memory://`; access lines written field by field with one
  redaction pre-check (the same bytes); nonce-claim batches on a kept connection (one round trip a batch instead of
  BEGIN/ROLLBACK pre-ping + statement). The load generator signs partner requests before the clock starts (as a
  partner signs on its own machine; signing in the timed window cost it 100–170 µs per call on the shared CPUs).
- Not taken: granian 2.8.7 (Rust HTTP server) in place of uvicorn, measured alternately on the same gateway code:
  ≈270–330 µs of CPU per proxied call against uvicorn's ≈220–300, requests/s within the noise (some rounds higher,
  some lower, signed calls mostly lower) — no measurable win, so no new dependency. Two gateway workers
  (`--gateway-workers 2`, `serve --workers N`) do not add CPUs: on this machine they move the ratio by the noise.
- Tried later on 2026-12-07: each upstream connection as an asyncio protocol instead of streams (an answer's
  bytes go from the socket to its parser and wake the request once; `routing/http1.py`). Paired with b67c99b, two
  alternating runs each, quiet machine: the gateway's CPU per proxied call 334–347 against 376–411 µs at 1
  connection, 158–192 against 165–175 µs at 16 and 64 — within the noise where the ratio is measured; calls/s
  unchanged (6.1–7.3 k against 6.8–7.1 k). Kept (one wake-up per answer, reading paused past 128 KiB held for a
  slow caller, one deadline per head however it trickles in), but it is not the lever.
- Where the CPU goes now (py-spy, 16 connections, anonymous, 15 s at 200 Hz on the gateway): the app's fast path
  ≈63 % of the serving thread's samples — the gate ≈13 %, the upstream exchange ≈20 %, the answer's ASGI send
  ≈12 %, the access line ≈11 %, the metrics ≈4 % — and the send system call ≈17 %; on the signed path the nonce
  claim through SQLAlchemy and asyncpg is ≈15 % and the signature check ≈12 %. No single part is large enough:
  0.5 needs ≈90 µs per call, about what uvicorn and a bare Starlette app already cost (the stub: 50–60 µs). What
  would reach it is a server protocol that answers proxied routes with no ASGI scope, task, Request or Response
  per call, written for the purpose — a reverse proxy of its own rather than an app on an ASGI server.
- Signed requests claim their nonce and count the key's rate in PostgreSQL — the price of replay protection and
  per-key rates that hold across replicas and restarts; the claims of every request waiting at that moment go in
  one statement (`partners/nonce_claims.py`, the kit's group commit).
- HMAC-SM3 uses OpenSSL's SM3 through `cryptography` (pure-Python `gmssl` is the fallback when a build lacks
  SM3: ≈3–6 ms per verification, 259/s on this machine).
- The 昆e服 page: the code and the page's public sections are kept per replica for 5 s (`QR_PAGE_CACHE_TTL_S`),
  and scans are written off the response path, the scans of the moment in one transaction (count + outbox
  events). The bench scans one code again and again — a crowd at a park's door — so the *page* row is the cached
  path; *page, cache off* is what a code scanned for the first time in a while costs.
"""


if __name__ == "__main__":
    main()
