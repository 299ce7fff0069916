"""Every encrypted column of every app is declared in its ``ENCRYPTED_COLUMNS`` (so ``reencrypt`` rewrites it).

A column left out stays under the old PII key after a rotation and becomes unreadable once that key is dropped
(docs/operations.md). Each app's database is migrated from scratch by its real alembic history; every column named
``*_encrypted`` — plus the encrypted columns named otherwise, listed below — must be declared, with the associated
data built from columns that exist, and every declared column must exist. An app that seals idempotent answers
(``idempotent(..., sealer=...)``) must declare the sealed responses.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from kunruyi_common.idempotency import SEALED_RESPONSES
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_launcher.apps import APPS, AppSpec
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_launcher.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# Where each app declares its list (an app without encrypted columns declares none).
DECLARED_IN = {
    "gateway": "kunruyi_gateway.partners.service",
    "talent": "kunruyi_talent.pii",
    "disbursement": "kunruyi_disbursement.payments.payees",
    "matching": "kunruyi_matching.pii",
}
# Encrypted columns whose name does not end in ``_encrypted``: (table, column, json key).
ENCRYPTED_OTHERWISE = {
    # A disbursement's first bank instruction keeps a copy of the payee's encrypted account number.
    "disbursement": {("disbursements", "instruction_payee", "account_number_encrypted")},
}
SEALED = (SEALED_RESPONSES.table, SEALED_RESPONSES.column, SEALED_RESPONSES.json_key)


def declared(app: str) -> list[EncryptedColumn]:
    if app not in DECLARED_IN:
        return []
    columns: list[EncryptedColumn] = importlib.import_module(DECLARED_IN[app]).ENCRYPTED_COLUMNS
    return columns


def seals_idempotent_answers(package: str) -> bool:
    root = Path(importlib.import_module(package).__file__ or "").parent
    return any("sealer=" in path.read_text(encoding="utf-8") for path in root.rglob("*.py"))


def schema(url: str) -> dict[str, set[str]]:
    """Table → its columns, in the public schema."""

    async def read() -> dict[str, set[str]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public'"
                    )
                )
                out: dict[str, set[str]] = {}
                for table, column in rows:
                    out.setdefault(table, set()).add(column)
                return out
        finally:
            await engine.dispose()

    return run_coroutine(read())


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_every_encrypted_column_of_the_migrated_database_is_declared(infra: Infra, app: AppSpec) -> None:
    tables = schema(migrated_database(infra, app.package, f"encrypted_columns_{app.name}"))
    columns = declared(app.name)
    declared_set = {(c.table, c.column, c.json_key) for c in columns}

    found = {(t, c, None) for t, cols in tables.items() for c in cols if c.endswith("_encrypted")}
    found |= ENCRYPTED_OTHERWISE.get(app.name, set())
    if seals_idempotent_answers(app.package):
        found.add(SEALED)

    assert sorted(found - declared_set, key=str) == [], f"{app.name}: encrypted but not in ENCRYPTED_COLUMNS"
    for c in columns:
        assert c.column in tables.get(c.table, set()), (
            f"{app.name}: {c.label} is declared but not in the schema"
        )
        for name in (*c.key_columns, *c.aad_columns):
            assert name in tables[c.table], f"{app.name}: {c.label} reads {name}, not a column of {c.table}"
    assert len(declared_set) == len(columns), f"{app.name}: a column is declared twice"
