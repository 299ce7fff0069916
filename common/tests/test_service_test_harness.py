"""The services' test client (kunruyi_launcher.testing.api_client) runs the real unit of work inside the test's
transaction: a request that fails leaves nothing behind and runs no after-commit hook, a commit-time failure is
reported, and the test's transaction stays usable for what comes after — as in production."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from kunruyi_common.db import SessionDep, create_engine
from kunruyi_common.errors import Conflict, install_error_handlers
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import api_client, rollback_session
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
async def session(infra: Infra) -> AsyncIterator[AsyncSession]:
    name = f"test_harness_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=1)
    try:
        async with rollback_session(engine) as s:
            # Created inside the test's transaction, like the rows: gone when it is rolled back.
            await s.execute(text("CREATE TABLE items (name text PRIMARY KEY)"))
            await s.execute(
                text(
                    "CREATE TABLE deferred (name text, "
                    "CONSTRAINT uq_deferred UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)"
                )
            )
            yield s
    finally:
        await engine.dispose()


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.commits = 0

    def after_commit() -> None:
        app.state.commits += 1

    app.state.after_commit = after_commit

    @app.post("/items/{name}", status_code=201)
    async def create(name: str, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO items VALUES (:n)"), {"n": name})
        if name.startswith("bad"):
            raise Conflict("名称不可用", code="name_taken")
        return {"name": name}

    @app.post("/deferred/{name}", status_code=201)
    async def create_deferred(name: str, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO deferred VALUES (:n)"), {"n": name})
        return {"name": name}

    @app.post("/deferred/{name}/twice-then-once", status_code=201)
    async def duplicate_then_fix(name: str, session: SessionDep) -> dict[str, str]:
        # Valid only while the constraint is deferred: the duplicate is gone before the commit.
        await session.execute(text("INSERT INTO deferred VALUES (:n), (:n)"), {"n": name})
        await session.execute(
            text("DELETE FROM deferred WHERE ctid = (SELECT max(ctid) FROM deferred WHERE name = :n)"),
            {"n": name},
        )
        return {"name": name}

    return app


async def count(session: AsyncSession, table: str, name: str) -> int:
    rows = await session.execute(text(f"SELECT count(*) FROM {table} WHERE name = :n"), {"n": name})
    return int(rows.scalar_one())


async def test_a_request_that_writes_then_fails_leaves_nothing_and_runs_no_after_commit(
    app: FastAPI, session: AsyncSession
) -> None:
    async with api_client(app, session) as client:
        refused = await client.post("/items/bad-one")
        assert refused.status_code == 409 and refused.json()["code"] == "name_taken"
        assert await count(session, "items", "bad-one") == 0, "the refused request's insert was rolled back"
        assert app.state.commits == 0, "no after-commit hook after a rollback"

        # The test's transaction is still usable: the next request commits and the test sees it.
        assert (await client.post("/items/good")).status_code == 201
        assert await count(session, "items", "good") == 1
        assert app.state.commits == 1


async def test_a_database_error_in_a_request_is_rolled_back_and_later_requests_still_work(
    app: FastAPI, session: AsyncSession
) -> None:
    async with api_client(app, session) as client:
        assert (await client.post("/items/same")).status_code == 201
        again = await client.post("/items/same")
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        assert app.state.commits == 1
        assert (await client.post("/items/other")).status_code == 201
        assert await count(session, "items", "same") == 1
        assert await count(session, "items", "other") == 1


async def test_a_commit_that_fails_is_reported_and_deferred_constraints_stay_deferred(
    app: FastAPI, session: AsyncSession
) -> None:
    async with api_client(app, session) as client:
        assert (await client.post("/deferred/x")).status_code == 201
        failed = await client.post("/deferred/x")
        assert failed.status_code == 409, "the commit failed after the endpoint returned; never a 201"
        assert await count(session, "deferred", "x") == 1
        assert app.state.commits == 1, "no after-commit hook for the failed commit"

        # Checking at one request's commit does not make the constraint immediate for the next request.
        assert (await client.post("/deferred/y/twice-then-once")).status_code == 201
        assert await count(session, "deferred", "y") == 1
        assert app.state.commits == 2


async def test_what_the_test_added_is_visible_to_the_app(app: FastAPI, session: AsyncSession) -> None:
    await session.execute(text("INSERT INTO items VALUES ('arranged')"))
    async with api_client(app, session) as client:
        taken = await client.post("/items/arranged")
    assert taken.status_code == 409
