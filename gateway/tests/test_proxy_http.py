"""The proxy's own HTTP/1.1 client: bodies both ways, large and chunked answers, raw paths, keep-alive reuse."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx


async def test_large_chunked_and_encoded_requests_pass_through(gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        big = await c.get("/api/v1/policies", params={"pad": 400_000})
        assert big.status_code == 200 and len(big.json()["pad"]) == 400_000
        streamed = await c.get("/api/v1/policies", params={"stream": 500})
        assert streamed.status_code == 200
        assert streamed.text == "".join(f"chunk-{i};" for i in range(500))
        encoded = await c.get("/api/v1/policies/%E9%9B%86%E6%88%90?q=a%2Bb&q=%20")
        assert encoded.json()["path"] == "/api/v1/policies/集成"
        assert encoded.json()["query"] == "q=a%2Bb&q=%20"
        upload = "诉求内容" * 50_000
        posted = await c.post("/api/v1/tickets", content=upload.encode(), headers=auth)
        assert posted.status_code == 200 and posted.json()["body"] == upload
        empty = await c.post("/api/v1/tickets", headers=auth)
        assert empty.status_code == 200 and empty.json()["body"] == ""
        # Many requests in a row ride kept-alive upstream connections and all come back intact.
        for i in range(30):
            assert (await c.get("/api/v1/policies", params={"i": i})).json()["query"] == f"i={i}"


async def test_a_dropped_kept_alive_connection_is_retried_only_for_idempotent_requests(  # type: ignore[no-untyped-def]
    gateway_settings, serve_gateway, staff_token
) -> None:
    """An upstream that drops a kept-alive connection without answering: a GET is sent again on a fresh
    connection and succeeds; a POST is not repeated (the service may have acted on it) and is 503. An answer
    that cannot be framed is 503 too."""
    from kunruyi_launcher.infra import free_port

    seen: Counter[bytes] = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0]
                length = next(
                    (
                        int(h.split(b":", 1)[1])
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if length:
                    await reader.readexactly(length)
                seen[line] += 1
                if b"/drop" in line and (b"POST" in line or seen[line] == 1):
                    break  # close without answering
                if b"/garbled" in line:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: lots\r\n\r\n{}")
                    break
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    port = free_port()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    url = f"http://127.0.0.1:{port}"
    settings = gateway_settings.model_copy(
        update={f"upstream_{name}_url": url for name in ("policy", "talent", "disbursement", "matching")}
    )
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    try:
        async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
            assert (await c.get("/api/v1/policies/warm")).status_code == 200  # leaves a kept-alive connection
            got = await c.get("/api/v1/policies/drop-once")
            assert got.status_code == 200, got.text
            assert seen[b"GET /api/v1/policies/drop-once HTTP/1.1"] == 2  # dropped once, sent again

            for body in (None, b'{"title": "x"}'):
                # The same upstream pool (svc-talent's) gets a kept-alive connection first.
                assert (await c.get("/api/v1/tickets/warm", headers=auth)).status_code == 200
                seen.clear()
                posted = await c.post("/api/v1/tickets/drop", content=body, headers=auth)
                assert posted.status_code == 503 and posted.json()["code"] == "upstream_unavailable"
                assert seen[b"POST /api/v1/tickets/drop HTTP/1.1"] == 1  # never repeated

            # An answer the gateway cannot frame is the upstream's fault: 503, never a 500.
            garbled = await c.get("/api/v1/policies/garbled")
            assert garbled.status_code == 503 and garbled.json()["code"] == "upstream_unavailable"
    finally:
        server.close()
        await server.wait_closed()
