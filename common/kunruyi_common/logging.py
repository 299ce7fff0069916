"""JSON logs with a request id that follows a call through the gateway, the services and the events.

The request id lives in a context variable: the HTTP middleware sets it from ``X-Request-Id`` (or makes one),
the outbox copies it into each event envelope, and the inbox consumer restores it while handling an event.
Every log line is passed through :func:`kunruyi_common.crypto.redact_text` and
:func:`kunruyi_common.pii_text.mask_pii` so personal data never reaches a log.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Callable
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, cast

from pythonjsonlogger.json import JsonEncoder, JsonFormatter

from kunruyi_common.crypto import redact_text
from kunruyi_common.pii_text import SEPARATOR_CLASS, mask_pii

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("kunruyi_request_id", default=None)
_traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar("kunruyi_traceparent", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_traceparent() -> str | None:
    return _traceparent.get()


def outgoing_context_headers() -> dict[str, str]:
    """``x-request-id`` and ``traceparent`` for a call this request makes to another service, so one id follows it."""
    headers = {}
    if (rid := _request_id.get()) is not None:
        headers["x-request-id"] = rid
    if (traceparent := _traceparent.get()) is not None:
        headers["traceparent"] = traceparent
    return headers


def set_request_context(
    request_id: str | None, traceparent: str | None = None
) -> contextvars.Token[str | None]:
    if traceparent is not None:
        _traceparent.set(traceparent)
    return _request_id.set(request_id)


def reset_request_context(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def new_request_id() -> str:
    """32 random hex digits, like uuid4().hex but without building a UUID (a third of the cost) — and never with
    eleven digits in a row: one in eight random ids has such a run, and a log line holding one is sent through the
    full personal-number scan (nothing would be masked: the letters around the run make it part of a code)."""
    while True:
        rid = os.urandom(16).hex()
        if _MAY_HOLD_NUMBERS.search(rid) is None:
            return rid


def new_traceparent(trace_id: str | None = None) -> str:
    """A W3C traceparent: version 00, 16-byte trace id, 8-byte parent id, sampled."""
    if trace_id:
        return f"00-{trace_id}-{os.urandom(8).hex()}-01"
    ids = os.urandom(24).hex()
    return f"00-{ids[:32]}-{ids[32:]}-01"


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


ACCESS_LOGGER = "kunruyi.access"
# The access record's own fields, in the order log_access gives them (the line's order).
_ACCESS_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms")
# How many (method, path, route, status) the access line's fixed text is kept for (paths carry ids: bounded).
_ACCESS_PARTS_KEPT = 1024

_redact: Callable[[str], str] | None = None
# A digit and ten more digits or separators: every line in which redact_text's pre-check (an ASCII digit and ten
# of [digit, space, -]) or mask_pii's (a digit and ten more, each after an optional separator of pii_text._SEP)
# finds something has a run like this, so a line without one is left as it is by both.
_MAY_HOLD_NUMBERS = re.compile(r"\d[\d" + SEPARATOR_CLASS.strip("[]") + "]{10}")
# logging's default timestamp. No redaction pattern can match inside a string of exactly this shape (its digit
# runs are at most four long), so such a value may skip the scan.
_DEFAULT_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")


def _redactor() -> Callable[[str], str]:
    global _redact
    if _redact is None:

        def redact(text: str) -> str:
            # redact_text masks every ASCII ID-, card- and phone-shaped run; mask_pii then catches what free text
            # adds (15-digit IDs, full-width digits); both skip lines without an 11-digit run at once, and so may
            # this one scan for what either would look at (most lines: none).
            if _MAY_HOLD_NUMBERS.search(text) is None:
                return text
            return mask_pii(redact_text(text))

        _redact = redact
    return _redact


def _json_text(value: object) -> str | None:
    """``value`` as JSON's encoder writes it inside an object (ensure_ascii off), for str, int, finite float and
    None; None for anything else."""
    kind = type(value)
    if isinstance(value, str) and kind is str:
        return encode_basestring(value)
    if isinstance(value, int) and kind is int:
        return int.__repr__(value)
    if isinstance(value, float) and kind is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None:
        return "null"
    return None


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's output, redacted, at a fraction of its cost (one access line per request).

    Same fields and bytes as the plain formatter; faster because it caches the second part of the timestamp,
    reuses one JSON encoder, formats a record once however many handlers write it, and leaves our own
    timestamp out of the PII scan (its digit run would otherwise send every line through the full pattern).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stamp: tuple[int, str] = (-1, "")
        self._access_template: str | None = None
        self._access_head = ""
        self._access_parts: dict[tuple[str, str, str, int], tuple[str, str, str, bool]] = {}
        self._encoder: json.JSONEncoder | None = None
        if (
            self.json_serializer is json.dumps
            and self.json_encoder is JsonEncoder
            and self.json_default is None
            and self.json_indent is None
        ):
            self._encoder = JsonEncoder(ensure_ascii=self.json_ensure_ascii)
        # The key our own timestamp is written under, when it is the first field: then a default-format stamp
        # there is kept out of the redaction scan (its digits defeat redact_text's quick pre-check).
        fields = self._required_fields
        self._time_key = (
            self.rename_fields.get("asctime", "asctime")
            if fields
            and fields[0] == "asctime"
            and not self.defaults
            and not self.prefix
            and self._encoder is not None
            else None
        )

        # Access lines (marked ``_kunruyi_access`` by the HTTP middleware: plain message, no exception, fields of
        # JSON's own types) are written field by field, without the dict and the library's passes over it: the
        # same bytes (tests/test_logging_access_line.py).
        self._fast_access = (
            self._time_key is not None
            and list(fields) == ["asctime", "levelname", "name", "message"]
            and not self.static_fields
            and not self.timestamp
            and not self.rename_fields_keep_missing
            and self.datefmt is None
            and self.rename_fields.get("levelname") == "level"
            and self.rename_fields.get("name") == "logger"
        )

    def format(self, record: logging.LogRecord) -> str:
        # One line per record even when several handlers (stdout and the log file) write it.
        attrs = record.__dict__
        cached = attrs.get("_kunruyi_json")
        if cached is not None and cached[0] == id(self):
            return str(cached[1])
        text = None
        if (
            self._fast_access
            and attrs.get("_kunruyi_access")
            and not record.exc_info
            and not record.stack_info
        ):
            text = self._access_line(record)
        if text is None:
            text = super().format(record)
        record._kunruyi_json = (id(self), text)
        return text

    def _access_line(self, record: logging.LogRecord) -> str | None:
        """What :meth:`format` makes of a plain record, built straight as text (None: take the general way)."""
        time_key = self._time_key
        if (
            self._encoder is None
            or time_key is None
            or isinstance(record.msg, dict)
            or self._encoder.ensure_ascii
        ):
            return None
        record.message = message = record.getMessage()
        stamp = self.formatTime(record, None)
        if not _DEFAULT_STAMP.fullmatch(stamp):
            return None
        record.asctime = stamp
        rename = self.rename_fields
        parts = [
            f"{encode_basestring(rename['levelname'])}: {encode_basestring(record.levelname)}",
            f"{encode_basestring(rename['name'])}: {encode_basestring(record.name)}",
            f"{encode_basestring(rename.get('message', 'message'))}: {encode_basestring(message)}",
        ]
        seen = {rename.get(n, n) for n in ("asctime", "levelname", "name", "message")}
        skip = self._skip_fields
        for key, value in record.__dict__.items():
            if key in skip or key.startswith("_"):
                continue
            name = rename.get(key, key)
            if name in seen or not isinstance(name, str):
                return None  # a field given twice: the general way keeps the last one
            seen.add(name)
            value_text = _json_text(value)
            if value_text is None:
                return None
            parts.append(f"{encode_basestring(name)}: {value_text}")
        rest = _redactor()("{" + ", ".join(parts) + "}")
        return "{" + encode_basestring(time_key) + ": " + encode_basestring(stamp) + ", " + rest[1:]

    def access_text(
        self, created: float, rid: str, method: str, path: str, route: str, status: int, duration_ms: float
    ) -> str | None:
        """What :meth:`_access_line` makes of the access record ``log_access`` would make of these values (with
        the context filter's ``service`` and the record time ``created``), without the record; None when this
        formatter does not write access lines field by field."""
        template = self._access_template
        if template is None or type(status) is not int or type(duration_ms) is not float:
            return None
        if not math.isfinite(duration_ms):
            return None
        parts = self._access_parts.get((method, path, route, status))
        if parts is None:
            parts = self._access_parts_for(template, method, path, route, status)
        before_rid, between, after_duration, fixed_may_hold = parts
        rid_text = encode_basestring(rid)
        duration_text = float.__repr__(duration_ms)
        rest = before_rid + rid_text + between + duration_text + after_duration
        # The JSON punctuation between fields stops any run of digits, so the line may hold a personal number only
        # if one of its parts may: the parts fixed for this method, path and status were checked once.
        if fixed_may_hold or _MAY_HOLD_NUMBERS.search(rid_text) or _MAY_HOLD_NUMBERS.search(duration_text):
            rest = _redactor()(rest)
        second = int(created)
        stamp = self._stamp
        if stamp[0] != second:
            stamp = (second, time.strftime(self.default_time_format, time.localtime(second)))
            self._stamp = stamp
        # LogRecord's msecs, as Python 3.11 computes it.
        text = f"{stamp[1]},{int((created - second) * 1000):03d}"
        return self._access_head + encode_basestring(text) + ", " + rest[1:]

    def _access_parts_for(
        self, template: str, method: str, path: str, route: str, status: int
    ) -> tuple[str, str, str, bool]:
        """The access line's text around its request id and duration for this method, path, route and status, and
        whether that text may hold a personal number; kept for the next line (a bounded number of them)."""
        marked = template % (
            encode_basestring(f"{method} {path} {status}"),
            "\0",
            encode_basestring(method),
            encode_basestring(path),
            encode_basestring(route),
            int.__repr__(status),
            "\0",
        )
        before_rid, between, after_duration = marked.split("\0")
        may_hold = _MAY_HOLD_NUMBERS.search(before_rid + '""' + between + "0" + after_duration) is not None
        parts = (before_rid, between, after_duration, may_hold)
        if len(self._access_parts) >= _ACCESS_PARTS_KEPT:
            self._access_parts.clear()
        self._access_parts[(method, path, route, status)] = parts
        return parts

    def use_for_access(self, service: str) -> None:
        """Let :meth:`access_text` write the access lines of ``service`` (the context filter's field)."""
        self._access_template = None
        if not self._fast_access or self._time_key is None or self.default_msec_format != "%s,%03d":
            return
        rename = self.rename_fields
        if any(rename.get(k, k) != k for k in (*_ACCESS_FIELDS, "service", "message")):
            return
        head = [
            f'{encode_basestring(rename["levelname"])}: "INFO"',
            f"{encode_basestring(rename['name'])}: {encode_basestring(ACCESS_LOGGER)}",
            '"message": %s',
            *(f"{encode_basestring(key)}: %s" for key in _ACCESS_FIELDS),
            f'"service": {encode_basestring(service).replace("%", "%%")}',
        ]
        self._access_template = "{" + ", ".join(head) + "}"
        self._access_parts.clear()
        self._access_head = "{" + encode_basestring(self._time_key) + ": "

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None or self.converter is not time.localtime or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        stamp = self._stamp
        if stamp[0] != second:
            stamp = (second, time.strftime(self.default_time_format, time.localtime(second)))
            self._stamp = stamp
        return self.default_msec_format % (stamp[1], record.msecs)

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        if self.timestamp or self.rename_fields_keep_missing or self.defaults:
            super().add_fields(log_record, record, message_dict)
        else:
            # BaseJsonFormatter.add_fields + merge_record_extra, without the per-attribute function calls.
            rename = self.rename_fields
            attrs = record.__dict__
            for name in self._required_fields:
                log_record[rename.get(name, name)] = attrs.get(name)
            for data in (self.static_fields, message_dict):
                for key, value in data.items():
                    log_record[rename.get(key, key)] = value
            skip = self._skip_fields
            for key, value in attrs.items():
                if key not in skip and not key.startswith("_"):
                    log_record[rename.get(key, key)] = value
        log_record.setdefault("level", record.levelname)
        log_record.setdefault("logger", record.name)

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        if self._encoder is not None:
            return self._encoder.encode(log_data)
        return super().jsonify_log_record(log_data)

    def serialize_log_record(self, log_data: dict[str, Any]) -> str:
        redact = _redactor()
        key, encoder = self._time_key, self._encoder
        if (
            key is not None
            and encoder is not None
            and next(iter(log_data)) == key
            and isinstance(log_data[key], str)
            and _DEFAULT_STAMP.fullmatch(log_data[key])
        ):
            stamp = log_data.pop(key)
            rest = redact(encoder.encode(log_data))
            head = "{" + encoder.encode(key) + ": " + encoder.encode(stamp)
            return head + (", " + rest[1:] if len(rest) > 2 else "}")
        return redact(super().serialize_log_record(log_data))


class _HoldingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that can hold lines for one write: :meth:`write_later` keeps a line, and the next flush
    or record of any kind writes what is held first (so lines keep their order)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[str] = []

    def write_later(self, text: str) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._held.append(text + self.terminator)

    def _write_held(self) -> None:
        if self._held:
            held = "".join(self._held)
            self._held.clear()
            try:
                self.stream.write(held)
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": held}))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_held()
        super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_held()
        super().emit(record)


class _HoldingFileHandler(_HoldingStreamHandler, logging.FileHandler):
    pass


class AccessSink:
    """The access line (one per request) written straight to the handlers :func:`configure_logging` installed,
    as long as they are still the whole of the logging setup on its way: the same bytes a record would give,
    without the record, the filter and the handler calls (about a fifth of what the line cost). Anything else —
    a handler or filter added, a level raised, the logger disabled — and :meth:`write` declines, and the line takes
    logging's own way."""

    def __init__(
        self, handlers: list[logging.Handler], formatter: RedactingJsonFormatter, service: str
    ) -> None:
        self.handlers = list(handlers)
        self.filters = [list(h.filters) for h in handlers]
        self.formatter = formatter
        self.service = service
        self._flush_due = False

    def _in_charge(self, logger: logging.Logger) -> bool:
        root = logging.root
        if logger.disabled or logger.filters or root.handlers != self.handlers:
            return False
        node: logging.Logger | None = logger
        while node is not None and node is not root:
            if node.handlers or not node.propagate:
                return False
            node = node.parent
        for handler, filters in zip(self.handlers, self.filters, strict=True):
            if (
                handler.formatter is not self.formatter
                or handler.filters != filters
                or handler.level > logging.INFO
                or getattr(handler, "stream", None) is None
                or not isinstance(handler, _HoldingStreamHandler)
            ):
                return False
        return True

    def write(
        self,
        logger: logging.Logger,
        rid: str,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_ms: float,
    ) -> bool:
        """Write the line; False when logging's own way must write it (nothing was written then)."""
        if not self._in_charge(logger):
            return False
        text = self.formatter.access_text(time.time(), rid, method, path, route, status, duration_ms)
        if text is None:
            return False
        for handler in self.handlers:
            cast(_HoldingStreamHandler, handler).write_later(text)
        self._flush_soon()
        return True

    def _flush_soon(self) -> None:
        """Flush at the end of this step of the event loop: the lines of the requests that end in one step leave
        in one write, even on an unbuffered stream (``PYTHONUNBUFFERED``, as containers set it, would otherwise
        make every line a system call of its own). Any other record writes the waiting lines first, so the order
        of lines is kept."""
        if self._flush_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        self._flush_due = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        for handler in self.handlers:
            handler.flush()


access_sink: AccessSink | None = None


def configure_logging(service: str, level: str = "INFO", log_file: Path | None = None) -> None:
    formatter = RedactingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )
    handlers: list[logging.Handler] = [_HoldingStreamHandler(sys.stdout)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(_HoldingFileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(formatter)
        h.addFilter(_ContextFilter(service))
        root.addHandler(h)
    root.setLevel(level.upper())
    global access_sink
    formatter.use_for_access(service)
    access_sink = AccessSink(handlers, formatter, service)
    # uvicorn's own access log duplicates ours and knows nothing of the request id.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every outgoing request at INFO; our access lines already say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
