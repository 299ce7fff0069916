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
from sqlalchemy import exc as sa_exc

from kunruyi_common.errors import ProblemError

# SQLSTATE classes and codes that a later retry of the same transaction can pass: connection exceptions (08),
# serialization failure and deadlock (40001, 40P01), lock not available (55P03), operator intervention such as
# a shutdown or a crash recovery (57P01–57P03), and too many connections (53300).
_TRANSIENT_SQLSTATE_PREFIXES = ("08",)
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"})


class TransientError(Exception):
    """Raised by a handler whose dependency is unavailable for now (the event itself is fine)."""


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


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
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        state = _sqlstate(exc)
        if state is not None:
            return state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
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
