"""A statement straight on the asyncpg driver fails the way one through SQLAlchemy does: a refused statement is
not "the database is away", a broken connection is — and the pool never hands that connection out again."""

from __future__ import annotations

import pytest
from kunruyi_common.db import create_engine
from kunruyi_common.db.driver import fetch_on_driver
from kunruyi_common.db.unavailable import is_database_unavailable
from kunruyi_launcher.infra import with_database
from kunruyi_launcher.stack import Infra
from sqlalchemy import exc as sa_exc
from sqlalchemy import text


async def test_rows_refusals_and_broken_connections(infra: Infra) -> None:
    engine = create_engine(with_database(infra.database_admin_url, "postgres"), pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await fetch_on_driver(conn, "SELECT $1::int + 1 AS n, $2::text[] AS names", 41, ["a", "b"])
            assert [(r["n"], r["names"]) for r in rows] == [(42, ["a", "b"])]

            with pytest.raises(sa_exc.DBAPIError) as refused:
                await fetch_on_driver(conn, "SELECT 1 / $1::int", 0)
            assert refused.value.orig.sqlstate == "22012"  # type: ignore[union-attr]
            assert not is_database_unavailable(refused.value)
            assert (await fetch_on_driver(conn, "SELECT 1 AS one"))[0]["one"] == 1  # still usable

            victim = (await fetch_on_driver(conn, "SELECT pg_backend_pid() AS pid"))[0]["pid"]
            admin = create_engine(with_database(infra.database_admin_url, "postgres"), pool_size=1)
            try:
                async with admin.connect() as killer:
                    # Waits until the backend is gone, so the next statement meets a closed session.
                    await killer.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": victim})
            finally:
                await admin.dispose()
            with pytest.raises(sa_exc.DBAPIError) as broken:
                await fetch_on_driver(conn, "SELECT 1")
            assert broken.value.connection_invalidated and conn.invalidated  # never back into the pool
            assert is_database_unavailable(broken.value)

        async with engine.connect() as conn:  # the pool replaced the broken connection
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != victim
    finally:
        await engine.dispose()
