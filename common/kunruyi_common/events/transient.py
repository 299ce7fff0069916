"""Which failures are the infrastructure's fault, not the event's.

A consumer retries an event that fails for its own sake a few times and then dead-letters it. A database that is
restarting, a bus that is reconnecting, an upstream answering 503 or a lock conflict says nothing about the event:
retrying it later will work, so such a failure must not spend the event's deliveries (an outage would otherwise
dead-letter everything that arrives during it).
"""

from __future__ import annotations

import asyncio
import socket

import httpx
from nats import errors as nats_errors

from kunruyi_common.db.unavailable import is_database_unavailable
from kunruyi_common.errors import ProblemError


class TransientError(Exception):
    """Raised by a handler whose dependency is unavailable for now (the event itself is fine)."""


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is an outage or contention rather than a fault of the input."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_transient_one(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_transient_one(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, ProblemError):
        return exc.status == 503
    if is_database_unavailable(exc):
        return True
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(
        exc, nats_errors.ConnectionClosedError | nats_errors.NoServersError | nats_errors.TimeoutError
    ):
        return True
    # A refused, reset or timed-out socket (asyncpg and asyncio raise these unwrapped while connecting); other
    # OSErrors, such as a missing file, are the handler's own problem.
    return isinstance(exc, ConnectionError | TimeoutError | asyncio.TimeoutError | socket.gaierror)
