"""The platform's refusals (RFC 9457 ``application/problem+json``) as typed exceptions.

Every error answer carries ``status``, a stable ``code``, a Chinese ``title`` and ``detail``, often the ``field``
at fault and a ``request_id`` to quote to the service center. ``problem_from_response`` picks the most specific
class: by code where a code has its own class, else by status.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error answer from the platform. ``problem`` holds the whole body (extra members such as
    ``required_scope``, ``part`` or ``errors`` included); ``response`` is the raw answer."""

    def __init__(
        self,
        status: int,
        problem: dict[str, Any],
        *,
        response: httpx.Response | None = None,
    ) -> None:
        self.status = status
        self.problem = problem
        self.response = response
        self.code: str | None = _str(problem.get("code"))
        self.title: str | None = _str(problem.get("title"))
        self.detail: str | None = _str(problem.get("detail"))
        self.field: str | None = _str(problem.get("field"))
        self.type: str | None = _str(problem.get("type"))
        request_id = problem.get("request_id")
        if request_id is None and response is not None:
            request_id = response.headers.get("x-request-id")
        self.request_id: str | None = _str(request_id)
        self.retry_after: float | None = retry_after(response) if response is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.status} {self.code or 'error'}: {self.detail or self.title or ''}".rstrip(": ")
        if self.field:
            text += f" (field {self.field})"
        if self.request_id:
            text += f" [request_id {self.request_id}]"
        return text


class ClientError(ProblemError):
    """4xx: the request must change before it can succeed (except ``RateLimited``: wait)."""


class BadRequest(ClientError):
    """400."""


class Unauthorized(ClientError):
    """401: ``missing_credentials``, ``unknown_app_key``, ``timestamp_out_of_window``, ``replayed_request``,
    ``invalid_signature``."""


class Forbidden(ClientError):
    """403: e.g. ``scope_denied`` (the key lacks ``required_scope``)."""


class NotFound(ClientError):
    """404."""


class Conflict(ClientError):
    """409: the record exists (``enterprise_exists``, ``talent_exists``, …) or the state does not allow it."""


class IdempotencyKeyConflict(Conflict):
    """409 ``idempotency_key_conflict``: the key was used for a different request; use a new key."""


class PayloadTooLarge(ClientError):
    """413."""


class ValidationFailed(ClientError):
    """422: the input is refused; ``field`` names the first field at fault, ``errors`` lists them all."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        items = self.problem.get("errors")
        return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


class RateLimited(ClientError):
    """429 ``rate_limited``: wait ``retry_after`` seconds."""


class ServerError(ProblemError):
    """5xx."""


class Unavailable(ServerError):
    """502, 503 or 504: the service behind the gateway is down or slow; retry later (``retry_after``)."""


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}
_BY_CODE: dict[str, type[ProblemError]] = {"idempotency_key_conflict": IdempotencyKeyConflict}


def error_class(status: int, code: str | None) -> type[ProblemError]:
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ClientError


def problem_from_response(response: httpx.Response) -> ProblemError:
    """The typed exception for an error answer (problem+json, or anything else a proxy may have answered)."""
    problem: dict[str, Any] = {}
    try:
        decoded = json.loads(response.content) if response.content else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        problem = decoded
    else:
        problem = {"title": response.reason_phrase or f"HTTP {response.status_code}"}
        if response.content:
            problem["detail"] = response.text[:500]
    cls = error_class(response.status_code, _str(problem.get("code")))
    return cls(response.status_code, problem, response=response)


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
