"""Each service's table metadata tells the truth: `alembic revision --autogenerate` against a database migrated by
the service's real history proposes nothing (issue 12, "One house").

The metadata compared is the one the service's ``migrations/env.py`` gives alembic as ``target_metadata``
(``<package>.models.Base.metadata``). Types and server defaults are compared too. Triggers and functions are not
seen by alembic; the ledger's are listed in svc-disbursement's ``tables.py``.
"""

from __future__ import annotations

import importlib
import pprint
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_launcher.testing import migrated_database
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = [app.name for app in APPS]
PACKAGES = {app.name: app.package for app in APPS}


def target_metadata(package: str) -> MetaData:
    metadata = importlib.import_module(f"{package}.models").Base.metadata
    assert isinstance(metadata, MetaData)
    return metadata


def differences(url: str, metadata: MetaData) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    result: list[Any] = run_coroutine(run())
    return result


def test_every_service_is_compared() -> None:
    assert set(SERVICES) >= {"policy", "talent", "disbursement", "matching", "gateway"}


@pytest.mark.parametrize("name", SERVICES)
def test_autogenerate_proposes_nothing(infra: Infra, name: str) -> None:
    package = PACKAGES[name]
    url = migrated_database(infra, package, f"models_{name}")
    diff = differences(url, target_metadata(package))
    assert diff == [], (
        f"{name}: the models differ from the migrated database ({len(diff)}):\n"
        + pprint.pformat(diff, width=120)
    )
