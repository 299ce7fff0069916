"""talent_0004 on a database that already holds talents: the clear birth date becomes ciphertext, the old
area-plus-last-four masks become first-and-last, and the record still answers with the right age."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
from alembic import command
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db.migrations import alembic_config
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_talent.identifiers import make_resident_id
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent.profiles import BIRTH_DATE_COLUMN

BORN = date(1982, 12, 18)


async def _execute(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def test_existing_birth_dates_are_encrypted_and_masks_narrowed(infra: Infra) -> None:
    run_coroutine(ensure_databases(infra.database_admin_url, ["test_talent_0004"], recreate=True))
    url = with_database(infra.database_admin_url, "test_talent_0004")
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    cfg = alembic_config("kunruyi_talent", url)
    command.upgrade(cfg, "talent_0003")
    rid = make_resident_id(7, born=BORN)
    talent_id = uuid.uuid4()
    run_coroutine(
        _execute(
            dsn,
            "INSERT INTO talents (id, name, id_number_encrypted, id_number_index, id_number_masked, birth_date, "
            "gender) VALUES ($1, '旧档案', 'x', 'idx-1', $2, $3, 'male')",
            talent_id,
            rid[:6] + "********" + rid[-4:],
            BORN,
        )
    )

    command.upgrade(cfg, "head")

    columns = {
        r["column_name"]
        for r in run_coroutine(
            _execute(dsn, "SELECT column_name FROM information_schema.columns WHERE table_name = 'talents'")
        )
    }
    assert "birth_date" not in columns and "birth_date_encrypted" in columns
    (row,) = run_coroutine(
        _execute(dsn, "SELECT id_number_masked, birth_date_encrypted FROM talents WHERE id = $1", talent_id)
    )
    assert row["id_number_masked"] == rid[0] + "*" * 16 + rid[-1]
    assert f"{BORN:%Y}" not in row["birth_date_encrypted"]
    cipher = FieldCipher.from_b64(Settings().pii_key)
    assert cipher.decrypt(row["birth_date_encrypted"], BIRTH_DATE_COLUMN.encode()) == BORN.isoformat()

    # And back: the date returns to its clear column (the narrower mask stays).
    command.downgrade(cfg, "talent_0003")
    (row,) = run_coroutine(_execute(dsn, "SELECT birth_date FROM talents WHERE id = $1", talent_id))
    assert row["birth_date"] == BORN
