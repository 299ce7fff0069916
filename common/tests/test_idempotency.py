"""The shared Idempotency-Key kit: one namespace of keys per caller, the first answer replayed, another body 409
``idempotency_key_conflict`` (the one code every service answers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.auth import CurrentPrincipal, Principal
from kunruyi_common.db import SessionDep, create_engine, create_sessionmaker
from kunruyi_common.errors import install_error_handlers
from kunruyi_common.idempotency import IDEMPOTENCY_KEYS_DDL, IdempotencyKey, idempotent, key_used
from kunruyi_common.settings import DEV_INTERNAL_TOKEN_SECRET
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import principal_headers
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class NoteIn(BaseModel):
    text: str


@pytest.fixture
async def notes_app(infra: Infra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    name = f"test_idem_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_engine(with_database(infra.database_admin_url, name), pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text(IDEMPOTENCY_KEYS_DDL))
        await conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, author text, text text)"))
    app = FastAPI()
    install_error_handlers(app)
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.settings = type("S", (), {"internal_token_secret": DEV_INTERNAL_TOKEN_SECRET})()

    @app.post("/notes", status_code=201)
    async def create(
        body: NoteIn, session: SessionDep, principal: CurrentPrincipal, key: IdempotencyKey = None
    ) -> Any:
        async def produce() -> tuple[int, dict[str, Any]]:
            row = await session.execute(
                text("INSERT INTO notes (author, text) VALUES (:a, :t) RETURNING id"),
                {"a": principal.subject, "t": body.text},
            )
            return 201, {"id": row.scalar_one(), "author": principal.subject, "text": body.text}

        return await idempotent(session, key, principal, "notes", body, produce)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield app, client
    await engine.dispose()


def as_(principal: Principal, key: str) -> dict[str, str]:
    return {**principal_headers(principal), "Idempotency-Key": key}


async def test_keys_belong_to_their_caller(notes_app: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, c = notes_app
    wang = Principal(kind="staff", subject="wang")
    li = Principal(kind="staff", subject="li")
    # The same subject as another kind of caller is another caller (a partner's app key named like a staff id).
    partner_wang = Principal(kind="partner", subject="wang", scopes=["x"])
    first = await c.post("/notes", json={"text": "王"}, headers=as_(wang, "k-1"))
    other = await c.post("/notes", json={"text": "李"}, headers=as_(li, "k-1"))
    third = await c.post("/notes", json={"text": "伙伴"}, headers=as_(partner_wang, "k-1"))
    assert [r.status_code for r in (first, other, third)] == [201, 201, 201]
    assert len({r.json()["id"] for r in (first, other, third)}) == 3
    assert (other.json()["author"], other.json()["text"]) == ("li", "李")
    assert "idempotent-replayed" not in other.headers

    again = await c.post("/notes", json={"text": "王"}, headers=as_(wang, "k-1"))
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    changed = await c.post("/notes", json={"text": "改"}, headers=as_(wang, "k-1"))
    assert (changed.status_code, changed.json()["code"]) == (409, "idempotency_key_conflict")

    async with app.state.sessionmaker() as s:
        session: AsyncSession = s
        assert await key_used(session, li, "k-1") and not await key_used(session, li, "k-2")
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 3
