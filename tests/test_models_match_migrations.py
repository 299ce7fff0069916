"""Each service's table metadata tells the truth: `alembic revision --autogenerate` against a database migrated by
the service's real history proposes nothing (issue 12, "One house").

The metadata compared is the one the service's ``migrations/env.py`` gives alembic as ``target_metadata``
(``<package>.models.Base.metadata``). Types and server defaults are compared too. Alembic does not compare CHECK
constraints or triggers, which carry the ledger's guarantees; the second test compares their names per table (the
triggers a service declares in ``metadata.info["triggers"]``, see svc-disbursement's ``tables.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_launcher.testing import migrated_database
from sqlalchemy import CheckConstraint, Column, DefaultClause, Index, MetaData, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql.schema import Constraint

SERVICES = [app.name for app in APPS]
PACKAGES = {app.name: app.package for app in APPS}
T = TypeVar("T")


def target_metadata(package: str) -> MetaData:
    metadata = importlib.import_module(f"{package}.models").Base.metadata
    assert isinstance(metadata, MetaData)
    return metadata


def on_database(url: str, work: Callable[[Connection], T]) -> T:
    async def run() -> T:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return run_coroutine(run())


def differences(url: str, metadata: MetaData) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        opts = {"compare_type": True, "compare_server_default": True}
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), metadata))

    return on_database(url, compare)


def readable(value: Any) -> str:
    """One alembic diff entry as a line a person can read (the default reprs hide defaults and names)."""
    if isinstance(value, list):
        return "; ".join(readable(v) for v in value)
    if isinstance(value, tuple) and value and str(value[0]).startswith("modify_"):
        op, _schema, table, column, _existing, old, new = value
        return f"{op} {table}.{column}: database {readable(old)}, model {readable(new)}"
    if isinstance(value, tuple):
        return " ".join(readable(v) for v in value)
    if isinstance(value, Table):
        return f"table {value.name} ({', '.join(value.columns.keys())})"
    if isinstance(value, Column):
        return f"column {value.table.name}.{value.name} {value.type}"
    if isinstance(value, Index | Constraint):
        columns = ", ".join(c.name for c in getattr(value, "columns", ()))
        table = value.table.name if value.table is not None else "?"
        return f"{type(value).__name__} {value.name} on {table} ({columns})"
    if isinstance(value, DefaultClause):
        return f"DEFAULT {getattr(value.arg, 'text', value.arg)}"
    return repr(value)


def declared_checks_and_triggers(metadata: MetaData) -> dict[str, set[str]]:
    declared: dict[str, set[str]] = {}
    triggers: dict[str, tuple[str, ...]] = metadata.info.get("triggers", {})
    for table in metadata.tables.values():
        names = {f"check {c.name}" for c in table.constraints if isinstance(c, CheckConstraint)}
        names |= {f"trigger {t}" for t in triggers.get(table.name, ())}
        if names:
            declared[table.name] = names
    return declared


def database_checks_and_triggers(url: str) -> dict[str, set[str]]:
    def read(conn: Connection) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            names = {f"check {c['name']}" for c in inspector.get_check_constraints(table)}
            if names:
                found[table] = names
        rows = conn.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal"
        )
        for table, trigger in rows:
            found.setdefault(table, set()).add(f"trigger {trigger}")
        return found

    return on_database(url, read)


def test_every_service_is_compared() -> None:
    assert set(SERVICES) >= {"policy", "talent", "disbursement", "matching", "gateway"}


@pytest.mark.parametrize("name", SERVICES)
def test_autogenerate_proposes_nothing(infra: Infra, name: str) -> None:
    package = PACKAGES[name]
    url = migrated_database(infra, package, f"models_{name}")
    diff = differences(url, target_metadata(package))
    assert diff == [], f"{name}: the models differ from the migrated database ({len(diff)}):\n" + "\n".join(
        readable(d) for d in diff
    )


@pytest.mark.parametrize("name", SERVICES)
def test_checks_and_triggers_are_declared(infra: Infra, name: str) -> None:
    package = PACKAGES[name]
    url = migrated_database(infra, package, f"models_checks_{name}")
    assert declared_checks_and_triggers(target_metadata(package)) == database_checks_and_triggers(url)
