"""The request's unit of work: committed when the endpoint succeeds, rolled back otherwise, and a commit that
fails is reported to the caller (never a success for a change that did not happen)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.db import (
    AfterCommitHooks,
    ReadSessionDep,
    SessionDep,
    create_engine,
    create_sessionmaker,
)
from kunruyi_common.errors import Conflict, install_error_handlers
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from sqlalchemy import text


@pytest.fixture
async def uow_app(infra: Infra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    name = f"test_uow_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE items (name text PRIMARY KEY)"))
        # Deferred: the duplicate is only caught at COMMIT, after the endpoint has returned.
        await conn.execute(
            text(
                "CREATE TABLE deferred (name text, CONSTRAINT uq_deferred UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    app = FastAPI()
    install_error_handlers(app)
    app.state.sessionmaker = create_sessionmaker(engine)

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

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield app, client
    await engine.dispose()


async def count(app: FastAPI, table: str) -> int:
    async with app.state.sessionmaker() as s:
        return int((await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_success_commits_and_an_error_rolls_back(uow_app: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = uow_app
    assert (await client.post("/items/good")).status_code == 201
    refused = await client.post("/items/bad-one")
    assert refused.status_code == 409 and refused.json()["code"] == "name_taken"
    assert await count(app, "items") == 1, "the refused request left nothing behind"


async def test_a_duplicate_caught_by_the_database_is_a_409_not_a_500(
    uow_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = uow_app
    assert (await client.post("/items/same")).status_code == 201
    again = await client.post("/items/same")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_a_commit_that_fails_is_reported_to_the_caller(
    uow_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = uow_app
    assert (await client.post("/deferred/x")).status_code == 201
    failed = await client.post("/deferred/x")
    assert failed.status_code == 409, (
        "the commit failed after the endpoint returned; the caller must not see a 201"
    )
    assert await count(app, "deferred") == 1


async def test_a_deadlock_between_two_requests_is_a_503_to_retry_and_leaves_nothing_half_done(
    infra: Infra,
) -> None:
    import asyncio

    name = f"test_uow_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=4)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)"))
        await conn.execute(text("INSERT INTO accounts VALUES (1, 100), (2, 100)"))
    app = FastAPI()
    install_error_handlers(app)
    app.state.sessionmaker = create_sessionmaker(engine)
    both_hold_their_first_lock = asyncio.Barrier(2)

    @app.post("/move/{first}/{second}")
    async def move(first: int, second: int, session: SessionDep) -> dict[str, str]:
        # Two money paths that lock the same rows in opposite orders: PostgreSQL kills one of them.
        await session.execute(text("UPDATE accounts SET balance = balance - 10 WHERE id = :i"), {"i": first})
        await both_hold_their_first_lock.wait()
        await session.execute(text("UPDATE accounts SET balance = balance + 10 WHERE id = :i"), {"i": second})
        return {"status": "moved"}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = await asyncio.gather(client.post("/move/1/2"), client.post("/move/2/1"))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 503], [a.text for a in answers]
        lost = next(a for a in answers if a.status_code == 503)
        assert lost.json()["code"] == "contention" and lost.headers["retry-after"] == "1"
        assert lost.headers["content-type"].startswith("application/problem+json")
        async with app.state.sessionmaker() as s:
            total = (await s.execute(text("SELECT sum(balance) FROM accounts"))).scalar_one()
        assert total == 200, "the losing request changed nothing"
    finally:
        await engine.dispose()


async def test_after_commit_hooks_run_after_a_commit_and_never_after_a_rollback(
    uow_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = uow_app
    calls: list[str] = []
    hooks = AfterCommitHooks(lambda: calls.append("relay"))
    hooks.register(lambda: calls.append("worker"))
    app.state.after_commit = hooks

    assert (await client.post("/items/kept")).status_code == 201
    assert calls == ["relay", "worker"], "every registered hook, in order, after the commit"

    calls.clear()
    assert (await client.post("/items/bad-rolled-back")).status_code == 409
    assert (await client.post("/deferred/twice")).status_code == 201
    calls.clear()
    assert (await client.post("/deferred/twice")).status_code == 409, "this commit fails"
    assert calls == [], "no hook after a rollback or a failed commit"


async def test_a_failing_hook_does_not_fail_the_committed_request_or_stop_the_others(
    uow_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = uow_app
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("hook broke")

    app.state.after_commit = AfterCommitHooks(broken, lambda: calls.append("relay"))
    assert (await client.post("/items/still-fine")).status_code == 201
    assert calls == ["relay"]
    assert await count(app, "items") == 1


async def test_a_read_only_request_commits_nothing_and_wakes_no_one(
    uow_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """``ReadSessionDep``: the request reads in a transaction that is rolled back — no after-commit hooks (the
    outbox relay is not woken for a calculation), and a write slipped into such an endpoint is discarded."""
    app, client = uow_app
    woken: list[str] = []
    app.state.after_commit = AfterCommitHooks(lambda: woken.append("relay"))

    @app.get("/items/count")
    async def how_many(session: ReadSessionDep) -> dict[str, int]:
        await session.execute(text("INSERT INTO items VALUES ('slipped in')"))
        return {"count": int((await session.execute(text("SELECT count(*) FROM items"))).scalar_one())}

    assert (await client.post("/items/kept")).status_code == 201
    assert woken == ["relay"]
    read = await client.get("/items/count")
    assert read.status_code == 200 and read.json() == {"count": 2}  # its own insert, visible to itself only
    assert woken == ["relay"], "a read-only request ran the after-commit hooks"
    assert await count(app, "items") == 1, "the read-only request's write was kept"
