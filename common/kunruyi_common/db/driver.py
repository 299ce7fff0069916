"""One statement straight on a pooled connection's asyncpg driver, for the few hot paths where SQLAlchemy's
execution costs more than the statement's round trip (its compile-cache lookup, greenlet hop and row processing:
≈80–100 µs a statement in the gateway's nonce claims, bench/gateway/RESULTS.md).

What the rest of the platform relies on stays as it was through SQLAlchemy: a failure is raised as SQLAlchemy's
``DBAPIError`` (``OperationalError``, with the driver's exception as ``orig``), so the error handlers and
:func:`kunruyi_common.db.unavailable.is_database_unavailable` answer a database that is away with 503 and a
statement that is wrong with 500; a connection that broke is invalidated, so the pool never hands it out again.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

# Failures after which the connection cannot be trusted, even before the driver has noticed it is closed: the
# connection itself failed, a timeout left a statement behind on it, or the server is ending the session
# (operator intervention, SQLSTATE class 57P: a terminated backend, a shutdown, a crash recovery).
_CONNECTION_FAILURES = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError, TimeoutError)


def _ends_the_connection(error: BaseException) -> bool:
    state = getattr(error, "sqlstate", None)
    return isinstance(error, _CONNECTION_FAILURES) or (isinstance(state, str) and state.startswith("57P"))


async def fetch_on_driver(conn: AsyncConnection, sql: str, *args: Any) -> list[asyncpg.Record]:
    """``sql`` (numbered parameters: ``$1``, ``$2`` …) on ``conn``'s asyncpg connection, through the driver's own
    prepared-statement cache; the rows as asyncpg records."""
    driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
    try:
        rows: list[asyncpg.Record] = await driver.fetch(sql, *args)
    except (asyncpg.PostgresError, *_CONNECTION_FAILURES) as error:
        broken = driver.is_closed() or _ends_the_connection(error)
        if broken:
            await conn.invalidate(error)
        raise sa_exc.OperationalError(sql, None, error, connection_invalidated=broken) from error
    return rows
