"""A small HTTP/1.1 load generator, run as its own process: raw asyncio sockets, keep-alive, one request in
flight per connection, latency per iteration (an iteration is one request, or a fixed sequence of requests).

    python loadgen.py --url http://127.0.0.1:8000 --path /api/v1/policies -c 16 -d 5 [--sign KEY:SECRET [--presign N]]

Prints one JSON line: requests, iterations, seconds, rps (iterations/s), p50_ms, p99_ms, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit


def build_request(host: str, method: str, target: str, sign: tuple[str, str] | None) -> bytes:
    headers = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept: */*"]
    if sign is not None:
        from kunruyi_client import signed_headers

        path, _, query = target.partition("?")
        for name, value in signed_headers(
            app_key=sign[0], secret=sign[1], method=method, path=path, raw_query=query
        ).items():
            headers.append(f"{name}: {value}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def worker(
    host: str,
    port: int,
    targets: list[str],
    method: str,
    sign: tuple[str, str] | None,
    stop_at: float,
    latencies: list[float],
    counters: dict[str, int],
    presigned: list[bytes] | None = None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    static = [build_request(f"{host}:{port}", method, t, None) for t in targets] if sign is None else None
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            for i, target in enumerate(targets):
                if static is not None:
                    request = static[i]
                elif presigned:
                    request = presigned.pop()
                else:
                    request = build_request(f"{host}:{port}", method, target, sign)
                writer.write(request)
                status = await read_response(reader)
                counters["requests"] += 1
                if status >= 400:
                    counters["errors"] += 1
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    sign = tuple(args.sign.split(":", 1)) if args.sign else None
    targets = args.path
    latencies: list[float] = []
    counters = {"requests": 0, "errors": 0}
    # Warm-up: open connections and fill caches before measuring.
    warm_stop = time.perf_counter() + min(1.0, args.duration / 5)
    await asyncio.gather(
        *(
            worker(host, port, targets, args.method, sign, warm_stop, [], {"requests": 0, "errors": 0})
            for _ in range(args.concurrency)
        )
    )
    # A partner signs on its own machine: with --presign, that many signed requests (each its own nonce) are made
    # before the clock starts, so the load generator's HMACs do not take the shared CPUs from the gateway.
    presigned: list[bytes] = []
    if sign is not None and args.presign > 0 and len(targets) == 1:
        presigned = [
            build_request(f"{host}:{port}", args.method, targets[0], sign) for _ in range(args.presign)
        ]
    started = time.perf_counter()
    stop_at = started + args.duration
    await asyncio.gather(
        *(
            worker(host, port, targets, args.method, sign, stop_at, latencies, counters, presigned)
            for _ in range(args.concurrency)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) >= 2 else [0.0] * 99
    return {
        "concurrency": args.concurrency,
        "requests": counters["requests"],
        "iterations": len(latencies),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
        "errors": counters["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", action="append", required=True, help="repeat for a sequence per iteration")
    parser.add_argument("--method", default="GET")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=5.0)
    parser.add_argument("--sign", default=None, help="APPKEY:SECRET to sign every request (partner auth)")
    parser.add_argument(
        "--presign",
        type=int,
        default=0,
        help="sign this many requests before the clock starts (then on the fly)",
    )
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(run(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
