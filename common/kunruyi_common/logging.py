"""JSON logs with a request id that follows a call through the gateway, the services and the events.

The request id lives in a context variable: the HTTP middleware sets it from ``X-Request-Id`` (or makes one),
the outbox copies it into each event envelope, and the inbox consumer restores it while handling an event.
Every log line is passed through :func:`kunruyi_common.crypto.redact_text` so personal data never reaches a log.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("kunruyi_request_id", default=None)
_traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar("kunruyi_traceparent", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_traceparent() -> str | None:
    return _traceparent.get()


def set_request_context(
    request_id: str | None, traceparent: str | None = None
) -> contextvars.Token[str | None]:
    if traceparent is not None:
        _traceparent.set(traceparent)
    return _request_id.set(request_id)


def reset_request_context(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def new_traceparent(trace_id: str | None = None) -> str:
    trace = trace_id or uuid.uuid4().hex
    return f"00-{trace}-{uuid.uuid4().hex[:16]}-01"


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        rid = _request_id.get()
        if rid and not hasattr(record, "request_id"):
            record.request_id = rid
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        from kunruyi_common.crypto import redact_text

        return redact_text(super().format(record))

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record.setdefault("level", record.levelname)
        log_record.setdefault("logger", record.name)


def configure_logging(service: str, level: str = "INFO", log_file: Path | None = None) -> None:
    formatter = RedactingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(formatter)
        h.addFilter(_ContextFilter(service))
        root.addHandler(h)
    root.setLevel(level.upper())
    # uvicorn's own access log duplicates ours and knows nothing of the request id.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every outgoing request at INFO; our access lines already say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
