"""Database errors that are the moment's fault, not the request's: the server is away or restarting, the
connection broke, or the transaction lost a lock race (deadlock, serialization failure, lock timeout).

Requests answer them with 503 and ``Retry-After`` (never 500); event consumers wait and retry without spending a
delivery (:mod:`kunruyi_common.events.transient`).
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# SQLSTATE classes and codes that a later retry of the same transaction can pass: connection exceptions (08),
# serialization failure and deadlock (40001, 40P01), lock not available (55P03), operator intervention such as
# a shutdown or a crash recovery (57P01–57P03), and too many connections (53300).
_TRANSIENT_SQLSTATE_PREFIXES = ("08",)
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"})
CONTENTION_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_database_unavailable(exc: BaseException) -> bool:
    """True for a SQLAlchemy error a retry of the whole transaction can get past."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        state = sqlstate(exc)
        if state is not None:
            return state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError)
