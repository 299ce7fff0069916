"""The gateway's one upstream client (issue 12 §5): answers parsed by httptools, TLS for ``https`` upstreams, one
retry/breaker loop for the proxy, the 昆e服 page and the 一企来办 intake, and no database transaction held open
across a call to a service.

A malformed answer from a service is 503 ``upstream_unavailable`` (what the proxy has always answered for an
answer it cannot read), and the connection it came on is never used again."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kunruyi_common.errors import ProblemError
from kunruyi_common.http_server import unix_socket_url
from kunruyi_gateway.integrations.yiqilaiban.signature import signed_headers
from kunruyi_gateway.routing.http1 import (
    HostPool,
    UpstreamTimeout,
    iter_body,
    read_response_head,
    send_head_and_body,
)
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.service_codes.upstream import ServiceCalls
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.infra import free_port
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICES = ("policy", "talent", "disbursement", "matching")
OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


@asynccontextmanager
async def raw_upstream(
    answers: dict[bytes, bytes], *, hang_up: bool = False, unix_socket: Path | None = None
) -> AsyncIterator[tuple[str, list[tuple[int, bytes]], list[int]]]:
    """An upstream speaking raw HTTP/1.1: each path's answer byte for byte (``{}`` by default). Records the
    connection number each request line came on (with its Host header), and every connection opened.
    ``hang_up``: close every connection at once, unanswered. ``unix_socket``: listen there, not on a port."""
    seen: list[tuple[int, bytes]] = []
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(connections)
        connections.append(number)
        try:
            while not hang_up:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0]
                host = [h for h in head.split(b"\r\n") if h.lower().startswith(b"host:")]
                if unix_socket is not None:
                    line += b" " + b"".join(host)
                for h in head.split(b"\r\n"):
                    if h.lower().startswith(b"content-length:") and int(h.split(b":", 1)[1]):
                        await reader.readexactly(int(h.split(b":", 1)[1]))
                seen.append((number, line))
                writer.write(answers.get(line.split(b" ")[1], OK))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    if unix_socket is not None:
        server = await asyncio.start_unix_server(handle, str(unix_socket))
        url = unix_socket_url(unix_socket)
    else:
        port = free_port()
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        url = f"http://127.0.0.1:{port}"
    try:
        yield url, seen, connections
    finally:
        server.close()
        await server.wait_closed()


def _all_upstreams(settings: Settings, url: str, **extra: Any) -> Settings:
    return settings.model_copy(update={**{f"upstream_{n}_url": url for n in SERVICES}, **extra})


def _client(url: str) -> httpx.AsyncClient:
    # One connection from the test to the gateway, kept alive throughout.
    return httpx.AsyncClient(
        base_url=url, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), timeout=20
    )


CHUNKED_MIXED_CASE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: ChUnKeD\r\n\r\n"
    b'5\r\n{"a":\r\n3\r\n"b"\r\n1\r\n}\r\n0\r\n\r\n'
)
LENGTH = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a":"b"}'
MALFORMED = {
    # Two Content-Length headers, even equal: the parser refuses them.
    b"/api/v1/policies/twice": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}",
    b"/api/v1/policies/conflict": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 30\r\n\r\n{}",
    b"/api/v1/policies/both": (
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    ),
    # A folded header line (obs-fold) and a line that is not "name: value".
    b"/api/v1/policies/folded": b"HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 2\r\n\r\n{}",
    b"/api/v1/policies/garbage": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nnot a header\r\n\r\n{}",
    b"/api/v1/policies/space": b"HTTP/1.1 200 OK\r\ncontent-length : 2\r\n\r\n{}",
    b"/api/v1/policies/status": b"HTTP/1.1 2x0 OK\r\ncontent-length: 2\r\n\r\n{}",
    b"/api/v1/policies/negative": b"HTTP/1.1 200 OK\r\ncontent-length: -2\r\n\r\n{}",
    # A transfer-coding the gateway cannot decode (it relays bodies as they are).
    b"/api/v1/policies/gzip": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    ),
    b"/api/v1/policies/bad-chunk": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    # A head past 64 KiB, in one piece with its body.
    b"/api/v1/policies/huge-head": (
        b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * 70_000 + b"\r\ncontent-length: 2\r\n\r\n{}"
    ),
}


async def test_chunked_and_length_answers_are_relayed_and_keep_the_connection(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway
) -> None:
    answers = {b"/api/v1/policies/chunked": CHUNKED_MIXED_CASE, b"/api/v1/policies/length": LENGTH}
    async with (
        raw_upstream(answers) as (url, seen, connections),
        serve_gateway(_all_upstreams(gateway_settings, url)) as gw,
        _client(gw.url) as c,
    ):
        for path in ("/api/v1/policies/chunked", "/api/v1/policies/length") * 3:
            resp = await c.get(path)
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"a": "b"}
        # Six sound answers, all on one kept-alive upstream connection.
        assert len(seen) == 6 and len(connections) == 1

        # And through the gateway's own client (the 昆e服 page's and the 一企来办 intake's path).
        upstreams = gw.app.state.upstreams
        assert await upstreams.call("policy", "GET", "/api/v1/policies/chunked") == (200, b'{"a":"b"}')
        assert await upstreams.call("policy", "GET", "/api/v1/policies/length") == (200, b'{"a":"b"}')
        assert len(connections) == 1


async def test_a_service_on_a_unix_socket_is_proxied_on_kept_connections(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway
) -> None:
    # The launcher's shape: each service listens on a Unix socket beside its port and the gateway uses that.
    socket_path = Path(tempfile.mkdtemp(prefix="kry-test-")) / "policy.sock"
    answers = {b"/api/v1/policies/chunked": CHUNKED_MIXED_CASE, b"/api/v1/policies/length": LENGTH}
    async with (
        raw_upstream(answers, unix_socket=socket_path) as (url, seen, connections),
        serve_gateway(_all_upstreams(gateway_settings, url)) as gw,
        _client(gw.url) as c,
    ):
        assert url.startswith("http+unix://%2F")
        for path in ("/api/v1/policies/chunked", "/api/v1/policies/length") * 2:
            resp = await c.get(path)
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"a": "b"}
        assert await upstreams_call(gw, "/api/v1/policies/length") == (200, b'{"a":"b"}')
        # One kept-alive connection; the Host a service sees is localhost, not the socket's path.
        assert len(connections) == 1
        assert [line for _, line in seen][:2] == [
            b"GET /api/v1/policies/chunked HTTP/1.1 host: localhost",
            b"GET /api/v1/policies/length HTTP/1.1 host: localhost",
        ]
    # The service gone (its socket removed): the same clean 503 as a refused port.
    socket_path.unlink(missing_ok=True)
    async with serve_gateway(_all_upstreams(gateway_settings, url)) as gw, _client(gw.url) as c:
        resp = await c.get("/api/v1/policies/length")
        assert resp.status_code == 503
        assert resp.json()["code"] == "upstream_unavailable"


async def test_a_relayed_answer_has_one_date_and_says_nothing_of_the_server(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway
) -> None:
    # A service's answer carries its own Date and Server; the gateway's server sets Date on the way out.
    answers = {
        b"/api/v1/policies/dated": (
            b"HTTP/1.1 200 OK\r\ndate: Mon, 07 Dec 2026 01:00:00 GMT\r\nserver: uvicorn\r\n"
            b"content-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        )
    }
    async with (
        raw_upstream(answers) as (url, _, _),
        serve_gateway(_all_upstreams(gateway_settings, url)) as gw,
        _client(gw.url) as c,
    ):
        resp = await c.get("/api/v1/policies/dated")
        assert resp.status_code == 200
        assert len(resp.headers.get_list("date")) == 1
        assert resp.headers["date"] != "Mon, 07 Dec 2026 01:00:00 GMT"
        assert "server" not in resp.headers
        assert resp.headers["content-type"] == "application/json"


async def upstreams_call(gw: Any, path: str) -> tuple[int, bytes]:
    result: tuple[int, bytes] = await gw.app.state.upstreams.call("policy", "GET", path)
    return result


async def test_a_large_answer_is_streamed_whole(gateway_settings, serve_gateway, echo_upstream) -> None:  # type: ignore[no-untyped-def]
    async with serve_gateway(gateway_settings) as gw, _client(gw.url) as c:
        big = await c.get("/api/v1/policies/big", params={"pad": 600_000})
        assert big.status_code == 200 and len(big.json()["pad"]) == 600_000
        streamed = await c.get("/api/v1/policies/s", params={"stream": 500})
        assert streamed.status_code == 200
        assert streamed.text == "".join(f"chunk-{i};" for i in range(500))


async def test_a_body_read_slowly_is_not_held_whole_in_memory() -> None:
    """The gateway reads an answer only as fast as its caller takes it: a 2 MB body the caller has not started
    to take is held up to a bound in the gateway (the rest waits in the sockets), and arrives whole once taken."""
    size = 2 * 1024 * 1024
    big = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + b"x" * size
    async with raw_upstream({b"/big": big}) as (url, _, _):
        pool = HostPool(url)
        conn = await pool.acquire(2.0)
        try:
            await send_head_and_body(conn, b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n", None, method="GET")
            answer = await read_response_head(conn, 5.0)
            await asyncio.sleep(0.3)  # time enough for the whole body to arrive, were it read
            held = answer.buffered
            assert 0 < held < size // 2, held
            taken = b"".join([chunk async for chunk in iter_body(conn, answer, 5.0)])
            assert taken == b"x" * size
            assert answer.complete and answer.reusable
        finally:
            conn.close()


async def test_an_answer_that_trickles_in_still_times_out() -> None:
    """The read timeout bounds the whole head, not the wait for each byte: an upstream that sends a byte every
    fifth of a second never completes its head, and the call gives up."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        try:
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.2)
        except ConnectionError:
            pass

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    conn = await HostPool(f"http://127.0.0.1:{port}").acquire(2.0)
    try:
        await send_head_and_body(conn, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", None, method="GET")
        async with asyncio.timeout(15):  # a hang fails the test instead of blocking the run
            with pytest.raises(UpstreamTimeout):
                await read_response_head(conn, 1.0)
    finally:
        conn.close()
        server.close()


async def test_a_malformed_answer_is_503_and_its_connection_is_dropped(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway
) -> None:
    async with (
        raw_upstream(MALFORMED) as (url, seen, connections),
        serve_gateway(_all_upstreams(gateway_settings, url)) as gw,
        _client(gw.url) as c,
    ):
        for path in MALFORMED:
            seen.clear()
            refused = await c.get(path.decode())
            assert refused.status_code == 503, (path, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "upstream_unavailable", path
            after = await c.get("/api/v1/policies/next")
            assert after.status_code == 200 and after.json() == {}, (path, after.text)
            (first, _), (second, _) = seen
            assert first != second, f"the connection was reused after {path!r}"

        # The page's path refuses the same answers the same way.
        upstreams = gw.app.state.upstreams
        for path in MALFORMED:
            with pytest.raises(ProblemError) as refused_call:
                await upstreams.call("talent", "GET", path.decode())
            assert refused_call.value.code == "upstream_unavailable"


# ---------------------------------------------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------------------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kunruyi-test-upstream")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "upstream.pem", directory / "upstream.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@asynccontextmanager
async def served_tls(app: FastAPI, cert: Path, key: Path) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_an_https_upstream_is_reached_over_verified_tls(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway, echo_upstream, tmp_path
) -> None:
    cert, key = _self_signed(tmp_path)
    async with served_tls(echo_upstream.app, cert, key) as url:
        trusted = _all_upstreams(gateway_settings, url, upstream_ca_bundle=cert)
        async with serve_gateway(trusted) as gw, _client(gw.url) as c:
            for i in range(3):
                resp = await c.get(f"/api/v1/policies/tls-{i}", params={"q": "1"})
                assert resp.status_code == 200, resp.text
                assert resp.json()["path"] == f"/api/v1/policies/tls-{i}"
            status, body = await gw.app.state.upstreams.call("matching", "GET", "/api/v1/brokers")
            assert status == 200 and json.loads(body)["path"] == "/api/v1/brokers"
            ready = await c.get("/readyz")
            assert ready.status_code == 200, ready.text

        # Without the CA bundle, the self-signed certificate is not trusted: nothing is sent in plaintext.
        untrusted = _all_upstreams(gateway_settings, url)
        async with serve_gateway(untrusted) as gw, _client(gw.url) as c:
            resp = await c.get("/api/v1/policies/tls")
            assert resp.status_code == 503 and resp.json()["code"] == "upstream_unavailable"


# ---------------------------------------------------------------------------------------------------------------
# One retry/breaker loop
# ---------------------------------------------------------------------------------------------------------------

BREAKER = {"breaker_failure_threshold": 3, "breaker_cooldown_s": 600.0}


def _code() -> ServiceCode:
    return ServiceCode(
        id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
        kind="park",
        target="P1",
        name="测试园区",
        industry_chain=None,
    )


async def test_the_breaker_opens_for_the_proxy_and_the_page_alike(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway
) -> None:
    """Failures through the proxy open the breaker for the page's calls, and failures on the page's calls open
    it for the proxy: one loop, one breaker per upstream. Once open, no connection is even attempted."""
    async with raw_upstream({}, hang_up=True) as (url, _, connections):
        # Tripped through the proxy.
        async with (
            serve_gateway(_all_upstreams(gateway_settings, url, **BREAKER)) as gw,
            _client(gw.url) as c,
        ):
            for _ in range(3):
                failed = await c.get("/api/v1/housing/projects")
                assert failed.status_code == 503 and "熔断中" not in failed.json()["detail"]
            opened = len(connections)
            assert opened == 3
            refused = await c.get("/api/v1/housing/projects")
            assert refused.status_code == 503 and refused.json()["code"] == "upstream_unavailable"
            assert "熔断中" in refused.json()["detail"]
            section = await ServiceCalls(gw.app.state.upstreams, gw.app.state.settings, _code()).section(
                "talent", "GET", "/api/v1/housing/projects"
            )
            assert not section.ok and "熔断中" in (section.error or "")
            # Another upstream's breaker is its own.
            assert (await c.get("/api/v1/policies")).status_code == 503
            assert len(connections) == opened + 1

        # Tripped through the page's calls.
        connections.clear()
        async with (
            serve_gateway(_all_upstreams(gateway_settings, url, **BREAKER)) as gw,
            _client(gw.url) as c,
        ):
            calls = ServiceCalls(gw.app.state.upstreams, gw.app.state.settings, _code())
            for _ in range(3):
                section = await calls.section("matching", "GET", "/api/v1/brokers")
                assert not section.ok and "熔断中" not in (section.error or "")
            assert len(connections) == 3
            refused = await c.get("/api/v1/taxonomy")
            assert refused.status_code == 503 and "熔断中" in refused.json()["detail"]
            assert len(connections) == 3


# ---------------------------------------------------------------------------------------------------------------
# 一企来办 intake: through the same client, with no transaction open across the call
# ---------------------------------------------------------------------------------------------------------------

APPLICATIONS = "/integrations/yiqilaiban/applications"


def slow_disbursement() -> FastAPI:
    """svc-disbursement taking its time: each application waits until the test lets it through."""
    app = FastAPI()
    app.state.arrived = asyncio.Event()
    app.state.release = asyncio.Event()
    app.state.received = []

    @app.post("/api/v1/applications", status_code=201)
    async def application(request: Request) -> JSONResponse:
        app.state.received.append((await request.json(), request.headers.get("idempotency-key")))
        app.state.arrived.set()
        await app.state.release.wait()
        return JSONResponse({"id": "app-1", "application_number": "SB2026000001", "status": "submitted"}, 201)

    return app


def _portal_body(number: str) -> bytes:
    return json.dumps(
        {
            "application_number": number,
            "policy_code": "KS-RC-001",
            "applicant_id": "91320583MA1XXXXX9M",
            "period": "2026",
            "amount_fen": 100,
        }
    ).encode()


async def _in_transaction(engine: AsyncEngine) -> int:
    """Gateway database sessions other than this one that hold a transaction open (idle or not)."""
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                )
            )
        ).scalar_one()
        await conn.rollback()
    return int(count)


async def test_the_intake_holds_no_transaction_while_svc_disbursement_is_slow(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway, engine, served_cls
) -> None:
    upstream = await served_cls(slow_disbursement(), free_port()).start()
    try:
        settings = gateway_settings.model_copy(
            update={"upstream_disbursement_url": upstream.url, "yiqilaiban_secret": "yqlb-slow-secret"}
        )
        async with serve_gateway(settings) as gw, _client(gw.url) as c:
            body = _portal_body("YQLB-SLOW-1")
            headers = signed_headers("kunruyi", "yqlb-slow-secret", "POST", APPLICATIONS, body)
            pending = asyncio.create_task(c.post(APPLICATIONS, content=body, headers=headers))
            await asyncio.wait_for(upstream.app.state.arrived.wait(), 20)
            # svc-disbursement has the request and has not answered: the gateway holds no transaction.
            assert await _in_transaction(engine) == 0
            upstream.app.state.release.set()
            answer = await pending
            assert answer.status_code == 201, answer.text
            assert answer.json()["platform"]["application_number"] == "SB2026000001"
            [(sent, key)] = upstream.app.state.received
            assert sent["external_ref"] == "YQLB-SLOW-1" and key == "yiqilaiban:YQLB-SLOW-1"
            # The nonce was claimed (committed before the call): the same signed request is a replay.
            again = await c.post(APPLICATIONS, content=body, headers=headers)
            assert again.status_code == 401 and again.json()["code"] == "replayed_request"
    finally:
        await upstream.stop()


async def test_the_intake_goes_through_the_breaker(gateway_settings, serve_gateway) -> None:  # type: ignore[no-untyped-def]
    async with raw_upstream({}, hang_up=True) as (url, _, connections):
        settings = _all_upstreams(gateway_settings, url, yiqilaiban_secret="yqlb-breaker-secret", **BREAKER)
        async with serve_gateway(settings) as gw, _client(gw.url) as c:
            for i in range(4):
                body = _portal_body(f"YQLB-BRK-{i}")
                headers = signed_headers("kunruyi", "yqlb-breaker-secret", "POST", APPLICATIONS, body)
                resp = await c.post(APPLICATIONS, content=body, headers=headers)
                assert resp.status_code == 503 and resp.json()["code"] == "upstream_unavailable"
            assert "熔断中" in resp.json()["detail"]
            # Three failed attempts opened the breaker; the fourth application never left the gateway — and the
            # proxy sees the same open breaker.
            assert len(connections) == 3
            with pytest.raises(ProblemError) as refused:
                await gw.app.state.upstreams.call("disbursement", "GET", "/api/v1/reports/x")
            assert "熔断中" in str(refused.value.detail)
            assert len(connections) == 3
