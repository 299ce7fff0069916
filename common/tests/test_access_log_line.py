"""The access line written field by field (the HTTP middleware's one line per request) is the same line, byte for
byte, as the general JSON formatting of the same record — personal numbers masked the same way."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from kunruyi_common import logging as kit_logging
from kunruyi_common.logging import RedactingJsonFormatter, configure_logging
from kunruyi_common.middleware import log_access


def _formatter() -> RedactingJsonFormatter:
    return RedactingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def _record(access: bool, path: str, rid: str, status: int, ms: float) -> logging.LogRecord:
    logger = logging.getLogger("kunruyi.access")
    extra: dict[str, object] = {
        "request_id": rid,
        "method": "GET",
        "path": path,
        "route": "/api/v1/{rest:path}",
        "status": status,
        "duration_ms": ms,
    }
    if access:
        extra["_kunruyi_access"] = True
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, "%s %s %s", ("GET", path, status), None, extra=extra
    )
    record.created = 1_765_000_000.25
    record.msecs = 250.0
    record.service = "gateway"  # what the context filter adds
    return record


# Path, request id, status, milliseconds: personal numbers in the path and the id, JSON escapes, a % sign.
CASES = [
    ("/api/v1/policies", "6f5d33a3ec3c91d6556d3f4b58610721", 200, 1.23),
    ("/api/v1/talents/13912345678", "0123456789abcdef0123456789abcdef", 404, 12.0),
    ("/api/v1/payees/320583198805170012/cards", "13812345678", 403, 0.5),
    ('/api/v1/policies/集成电路"x\\y%s', "rid-1", 503, 2500.75),
    # Eight digits at the path's end and the status make an eleven-character run in the message only.
    ("/api/v1/talents/13912345", "rid-2", 200, 0.25),
    # A run in the caller's request id, in a line whose path holds none.
    ("/api/v1/policies", "a1391234567800000b", 200, 3.5),
]


@pytest.mark.parametrize(("path", "rid", "status", "ms"), CASES)
def test_the_access_line_is_the_general_line(path: str, rid: str, status: int, ms: float) -> None:
    fast = _formatter().format(_record(True, path, rid, status, ms))
    general = _formatter().format(_record(False, path, rid, status, ms))
    assert fast == general
    line = json.loads(fast)
    assert line["path"] == json.loads(general)["path"] and line["status"] == status
    assert "13912345678" not in fast and "320583198805170012" not in fast and "13812345678" not in fast


def test_log_access_writes_one_json_line_per_request() -> None:
    stream = io.StringIO()
    configure_logging("gateway", "INFO")
    root = logging.getLogger()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    log_access("rid-42", "POST", "/api/v1/applications", "/api/v1/{rest:path}", 201, 0.0123)
    log_access("rid-43", "GET", "/healthz", "/healthz", 200, 0.001)  # the health probes write nothing
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [
        (x["request_id"], x["method"], x["path"], x["status"], x["duration_ms"], x["service"]) for x in lines
    ] == [("rid-42", "POST", "/api/v1/applications", 201, 12.3, "gateway")]
    assert list(lines[0])[:4] == ["time", "level", "logger", "message"]


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("gateway", "INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    logging.getLogger("kunruyi.access").filters.clear()


def _only_our_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave on the root only the handlers configure_logging installed: pytest adds its own capture handler for
    the test's call (after the fixtures), so this is called from the test itself."""
    root = logging.getLogger()
    ours = kit_logging.access_sink.handlers if kit_logging.access_sink else []
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if h in ours])


def _without_time(line: str) -> str:
    return re.sub(r'^\{"time": "[^"]+", ', "{", line)


@pytest.mark.parametrize(("path", "rid", "status", "ms"), CASES)
def test_the_line_written_without_a_record_is_the_records_line(
    configured: io.StringIO, monkeypatch: pytest.MonkeyPatch, path: str, rid: str, status: int, ms: float
) -> None:
    _only_our_handlers(monkeypatch)
    access = logging.getLogger("kunruyi.access")
    made: list[logging.LogRecord] = []
    make_record = access.makeRecord

    def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made.append(make_record(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(access, "makeRecord", counting)
    log_access(rid, "GET", path, "/api/v1/{rest:path}", status, ms / 1000)
    assert made == []  # the direct way: no record
    # A filter on the logger is logging's business: the same line then comes the way of a record.
    access.addFilter(lambda _record: True)
    log_access(rid, "GET", path, "/api/v1/{rest:path}", status, ms / 1000)
    assert len(made) == 1
    direct, by_record = configured.getvalue().splitlines()
    assert re.match(r'^\{"time": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", ', direct)
    assert _without_time(direct) == _without_time(by_record)
    assert "13912345678" not in direct and "320583198805170012" not in direct and "13812345678" not in direct


def test_a_handler_added_after_configuration_gets_every_access_line(configured: io.StringIO) -> None:
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        log_access("rid-7", "GET", "/api/v1/policies", "/api/v1/{rest:path}", 200, 0.002)
    finally:
        logging.getLogger().removeHandler(collect)
    assert [r.getMessage() for r in seen] == ["GET /api/v1/policies 200"]
    assert json.loads(configured.getvalue())["request_id"] == "rid-7"
    # Raised above INFO, the access line is not written at all.
    logging.getLogger().setLevel("WARNING")
    log_access("rid-8", "GET", "/api/v1/policies", "/api/v1/{rest:path}", 200, 0.002)
    assert "rid-8" not in configured.getvalue()


async def test_lines_written_in_one_loop_step_are_flushed_together_by_its_end(
    configured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_our_handlers(monkeypatch)
    flushed: list[str] = []
    writes: list[str] = []
    write = configured.write

    def counting_write(text: str) -> int:
        writes.append(text)
        return write(text)

    monkeypatch.setattr(configured, "flush", lambda: flushed.append(configured.getvalue()))
    monkeypatch.setattr(configured, "write", counting_write)
    log_access("rid-1", "GET", "/api/v1/policies", "/api/v1/{rest:path}", 200, 0.001)
    log_access("rid-2", "GET", "/api/v1/policies", "/api/v1/{rest:path}", 200, 0.001)
    assert flushed == [] and writes == []
    await asyncio.sleep(0)
    assert len(flushed) == 1
    assert [json.loads(line)["request_id"] for line in flushed[0].splitlines()] == ["rid-1", "rid-2"]
    # One write for both: on an unbuffered stream (PYTHONUNBUFFERED) each write is a system call.
    assert len(writes) == 1


async def test_a_record_written_meanwhile_comes_after_the_held_access_lines(
    configured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_our_handlers(monkeypatch)
    log_access("rid-1", "GET", "/api/v1/policies", "/api/v1/{rest:path}", 200, 0.001)
    logging.getLogger("kunruyi.test").warning("after the request")
    lines = [json.loads(line) for line in configured.getvalue().splitlines()]
    assert [line.get("request_id") or line["message"] for line in lines] == ["rid-1", "after the request"]
    await asyncio.sleep(0)
    assert len(configured.getvalue().splitlines()) == 2
