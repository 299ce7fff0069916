"""The apps' HTTP server protocol: an answer's head and body leave in one send, and nothing a client reads
changes — uvicorn's own protocol code driven over a transport that records what it is given."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from kunruyi_common.http_server import CoalescingHttpToolsProtocol
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.config import Config
from uvicorn.server import ServerState


class RecordingTransport(asyncio.Transport):
    """What a socket transport would send, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def small(_: Request) -> JSONResponse:
    return JSONResponse({"items": ["高新技术企业认定奖励"]})


async def streamed(_: Request) -> StreamingResponse:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part
            await asyncio.sleep(0.01)  # each part leaves in a later step than the one before

    return StreamingResponse(parts(), media_type="text/plain")


async def closing(_: Request) -> Response:
    return Response(b"bye", headers={"connection": "close"})


APP = Starlette(routes=[Route("/small", small), Route("/streamed", streamed), Route("/closing", closing)])


async def serve(request: bytes, *, until_closed: bool = False) -> RecordingTransport:
    config = Config(app=APP, http=CoalescingHttpToolsProtocol, log_config=None, lifespan="off")
    config.load()
    protocol = CoalescingHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(200):
        await asyncio.sleep(0.005)
        sent = b"".join(transport.writes)
        if (transport.closed if until_closed else sent.endswith((b"}", b"0\r\n\r\n"))) and (
            protocol.cycle is None or protocol.cycle.response_complete
        ):
            await asyncio.sleep(0.01)  # anything still held would leave now
            break
    protocol.connection_lost(None)
    return transport


async def test_a_small_answers_head_and_body_leave_in_one_send() -> None:
    transport = await serve(b"GET /small HTTP/1.1\r\nhost: t\r\n\r\n")
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"content-type: application/json" in head
    assert body.decode() == '{"items":["高新技术企业认定奖励"]}'


async def test_two_requests_in_one_packet_get_both_answers_in_order() -> None:
    transport = await serve(b"GET /small HTTP/1.1\r\nhost: t\r\n\r\nGET /small HTTP/1.1\r\nhost: t\r\n\r\n")
    sent = b"".join(transport.writes)
    assert sent.count(b"HTTP/1.1 200 OK") == 2
    assert sent.count("高新技术企业认定奖励".encode()) == 2


async def test_a_streamed_answer_still_leaves_part_by_part_and_complete() -> None:
    transport = await serve(b"GET /streamed HTTP/1.1\r\nhost: t\r\n\r\n")
    sent = b"".join(transport.writes)
    assert sent.startswith(b"HTTP/1.1 200 OK")
    assert b"transfer-encoding: chunked" in sent
    assert sent.endswith(b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n")
    # Parts written in different steps are not held back for one another.
    assert len(transport.writes) >= 3


async def test_closing_the_connection_sends_what_is_held_first() -> None:
    transport = await serve(b"GET /closing HTTP/1.1\r\nhost: t\r\n\r\n", until_closed=True)
    assert transport.closed
    sent = b"".join(transport.writes)
    assert sent.startswith(b"HTTP/1.1 200 OK")
    assert sent.endswith(b"\r\n\r\nbye")


@pytest.mark.parametrize("abort", [True, False])
async def test_held_bytes_are_dropped_on_abort_and_kept_on_close(abort: bool) -> None:
    from kunruyi_common.http_server import CoalescingTransport

    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"head")
    transport.write(b"body")
    assert inner.writes == []
    assert transport.get_write_buffer_size() == 8
    if abort:
        transport.abort()
    else:
        transport.close()
    await asyncio.sleep(0)
    assert inner.writes == ([] if abort else [b"headbody"])
