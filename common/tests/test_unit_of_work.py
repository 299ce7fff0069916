"""The request's unit of work: committed when the endpoint succeeds, rolled back otherwise, and a commit that
fails is reported to the caller (never a success for a change that did not happen)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.db import SessionDep, create_engine, create_sessionmaker
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
