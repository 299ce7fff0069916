"""PII key rotation over every encrypted column of svc-matching (docs/operations.md "Rotating the PII key").

Key A writes a demand whose title, description and review note hold personal data; B becomes the key with A
retired and the reveal still answers the original text; ``reencrypt`` (the CLI's own command over
``ENCRYPTED_COLUMNS``) rewrites every ciphertext under B; then A is dropped and the reveal still answers it.
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
from kunruyi_matching.pii import ENCRYPTED_COLUMNS
from kunruyi_matching.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .test_demands import demand_body

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
OFFICER = staff("officer", subject="rotation", name="轮换")
TITLE = "封装需求 联系13900009311"
DESCRIPTION = "联系人身份证 320583198212181827，手机 188-1234-9312，需要封装专家"
NOTE = "已电话 13900009313 核实"

Client = Callable[[FastAPI, Principal], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def rotation_db(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_rotation")


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


async def test_demand_text_reveals_across_a_rotation_and_after_the_old_key_is_dropped(
    service_spec: ServiceSpec,
    keyed: Callable[[str, list[str]], Settings],
    committed: Client,
    rotation_engine: AsyncEngine,
) -> None:
    async with committed(create_service_app(service_spec, keyed(KEY_A, [])), OFFICER) as c:
        created = await c.post("/api/v1/demands", json=demand_body(title=TITLE, description=DESCRIPTION))
        assert created.status_code == 201, created.text
        demand_id = created.json()["id"]
        reviewed = await c.post(
            f"/api/v1/demands/{demand_id}/review", json={"decision": "approve", "note": NOTE}
        )
        assert reviewed.status_code == 200, reviewed.text
    written = await key_ids(rotation_engine)
    assert {label for label, ids in written.items() if ids} == {c.label for c in ENCRYPTED_COLUMNS}
    assert set().union(*written.values()) == {key_id(base64.b64decode(KEY_A))}

    async def reveals_as_written(app: FastAPI) -> None:
        async with committed(app, OFFICER) as c:
            r = await c.post(f"/api/v1/demands/{demand_id}/reveal", json={"reason": "轮换后核对原文"})
            assert r.status_code == 200, r.text
            revealed = r.json()
            assert (revealed["title"], revealed["description"], revealed["review_note"]) == (
                TITLE,
                DESCRIPTION,
                NOTE,
            )

    # B is the key, A retired: text written under A still reveals.
    rotating = keyed(KEY_B, [KEY_A])
    await reveals_as_written(create_service_app(service_spec, rotating))

    reports = await reencrypt_command(rotating, ENCRYPTED_COLUMNS, batch_size=2)
    assert {r.column: r.unreadable for r in reports} == {c.label: 0 for c in ENCRYPTED_COLUMNS}
    assert all(r.rewritten > 0 for r in reports), [r.as_dict() for r in reports]
    assert set().union(*(await key_ids(rotation_engine)).values()) == {key_id(base64.b64decode(KEY_B))}

    # A dropped: the reveal still answers the original text.
    await reveals_as_written(create_service_app(service_spec, keyed(KEY_B, [])))
