"""The access line written field by field (the HTTP middleware's one line per request) is the same line, byte for
byte, as the general JSON formatting of the same record — personal numbers masked the same way."""

from __future__ import annotations

import io
import json
import logging

import pytest
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


@pytest.mark.parametrize(
    ("path", "rid", "status", "ms"),
    [
        ("/api/v1/policies", "6f5d33a3ec3c91d6556d3f4b58610721", 200, 1.23),
        ("/api/v1/talents/13912345678", "0123456789abcdef0123456789abcdef", 404, 12.0),
        ("/api/v1/payees/320583198805170012/cards", "13812345678", 403, 0.5),
        ('/api/v1/policies/集成电路"x\\y', "rid-1", 503, 2500.75),
    ],
)
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
