"""PII key rotation over every encrypted column of svc-talent (docs/operations.md "Rotating the PII key").

Key A writes a talent (ID number, phone, birth date, a sealed idempotent answer) and a ticket whose title,
description, reply and transition comment hold personal data; B becomes the key with A retired and everything
still reads; ``reencrypt`` (the CLI's own command over ``ENCRYPTED_COLUMNS``) rewrites every ciphertext under B;
then A is dropped and the talent and the revealed ticket still read as written.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app
from kunruyi_common.auth import Principal
from kunruyi_common.cli import reencrypt_command
from kunruyi_common.crypto import key_id
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import api_client, migrated_database, staff
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from kunruyi_talent.pii import ENCRYPTED_COLUMNS
from kunruyi_talent.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
OFFICE = staff("officer", department="人才办", subject="rotation", name="轮换")
ID_NUMBER = make_resident_id(931)
TITLE = f"回电 {make_phone(93_101)}"
DESCRIPTION = f"本人身份证 {ID_NUMBER}，手机 {make_phone(93_102)}，请回电"
REPLY = f"已致电 {make_phone(93_103)} 说明"
COMMENT = f"回拨 {make_phone(93_104)}"

Client = Callable[[FastAPI, Principal], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def rotation_db(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_talent", "talent_rotation")


@pytest_asyncio.fixture(loop_scope="session")
async def rotation_engine(rotation_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(rotation_db, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def keyed(settings: Settings, rotation_db: str) -> Callable[[str, list[str]], Settings]:
    def make(key: str, retired: list[str]) -> Settings:
        return settings.model_copy(
            update={"database_url": rotation_db, "pii_key": key, "pii_retired_keys": ",".join(retired)}
        )

    return make


@pytest.fixture
def committed(rotation_engine: AsyncEngine) -> Client:
    """A client whose requests commit for real (``reencrypt`` runs in its own transactions)."""

    @asynccontextmanager
    async def make(app: FastAPI, principal: Principal) -> AsyncIterator[httpx.AsyncClient]:
        async with (
            create_sessionmaker(rotation_engine)() as session,
            api_client(app, session, principal) as c,
        ):
            yield c

    return make


async def key_ids(engine: AsyncEngine) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    async with engine.connect() as conn:
        for col in ENCRYPTED_COLUMNS:
            value = f"{col.column} ->> '{col.json_key}'" if col.json_key else col.column
            rows = await conn.execute(
                text(f"SELECT split_part({value}, '.', 2) FROM {col.table} WHERE {value} IS NOT NULL")
            )
            out[col.label] = {r[0] for r in rows}
    return out


async def test_every_encrypted_column_reads_across_a_rotation_and_after_the_old_key_is_dropped(
    service_spec: ServiceSpec,
    keyed: Callable[[str, list[str]], Settings],
    committed: Client,
    rotation_engine: AsyncEngine,
) -> None:
    under_a = create_service_app(service_spec, keyed(KEY_A, []))
    async with committed(under_a, OFFICE) as c:
        r = await c.post(
            "/api/v1/enterprises",
            json={
                "uscc": make_uscc(931),
                "name": "轮换科技",
                "district": "陆家",
                "contacts": [{"name": "联系人", "phone": make_phone(93_106)}],
            },
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/v1/talents",
            json={"name": "轮换丙", "id_number": ID_NUMBER, "phone": make_phone(93_100)},
            headers={"Idempotency-Key": "rotation-talent"},
        )
        assert r.status_code == 201, r.text
        talent = r.json()
        r = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": TITLE,
                "description": DESCRIPTION,
                "requester_phone": make_phone(93_105),
            },
        )
        assert r.status_code == 201, r.text
        number = r.json()["ticket_number"]
        for step in ("accepted", "in_progress"):
            moved = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
            assert moved.status_code == 200, moved.text
        replied = await c.post(
            f"/api/v1/tickets/{number}/transitions",
            json={"to": "replied", "reply": REPLY, "comment": COMMENT},
        )
        assert replied.status_code == 200, replied.text
    written = await key_ids(rotation_engine)
    assert {label for label, ids in written.items() if ids} == {c.label for c in ENCRYPTED_COLUMNS}
    assert set().union(*written.values()) == {key_id(base64.b64decode(KEY_A))}

    async def reads_as_written(app: FastAPI) -> None:
        async with committed(app, OFFICE) as c:
            shown = await c.get(f"/api/v1/talents/{talent['talent_id']}")
            assert shown.status_code == 200, shown.text
            assert shown.json()["age"] == talent["age"]
            replay = await c.post(
                "/api/v1/talents",
                json={"name": "轮换丙", "id_number": ID_NUMBER, "phone": make_phone(93_100)},
                headers={"Idempotency-Key": "rotation-talent"},
            )
            assert replay.status_code == 201 and replay.json() == talent
            r = await c.post(
                f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "轮换后核对原文"}
            )
            assert r.status_code == 200, r.text
            revealed = r.json()
            assert (revealed["title"], revealed["description"], revealed["reply"]) == (
                TITLE,
                DESCRIPTION,
                REPLY,
            )
            assert revealed["history"][-1]["comment"] == COMMENT
            r = await c.post(
                f"/api/v1/tickets/{number}/reveal", json={"field": "requester_phone", "reason": "轮换后回电"}
            )
            assert r.status_code == 200 and r.json()["requester_phone"] == make_phone(93_105)

    # B is the key, A retired: rows written under A still read.
    rotating = keyed(KEY_B, [KEY_A])
    await reads_as_written(create_service_app(service_spec, rotating))

    reports = await reencrypt_command(rotating, ENCRYPTED_COLUMNS, batch_size=2)
    assert {r.column: r.unreadable for r in reports} == {c.label: 0 for c in ENCRYPTED_COLUMNS}
    assert all(r.rewritten > 0 for r in reports), [r.as_dict() for r in reports]
    assert set().union(*(await key_ids(rotation_engine)).values()) == {key_id(base64.b64decode(KEY_B))}

    # A dropped: everything still reads as written.
    await reads_as_written(create_service_app(service_spec, keyed(KEY_B, [])))
