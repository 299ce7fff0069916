"""Re-encrypting personal data under the current PII key (``python -m kunruyi_<app> reencrypt``).

Each app declares its encrypted columns once, as a list of :class:`EncryptedColumn` (e.g.
``kunruyi_talent.pii.ENCRYPTED_COLUMNS``), and passes it to :func:`kunruyi_common.cli.run`. A new encrypted column
is one more entry in that list. The command walks every declared column in primary-key order, in batches (one
transaction each), and rewrites every ciphertext whose key id is not the current key's. It is idempotent: a second
run finds nothing to rewrite. A row changed by the app between the read and the write is left alone (the app wrote
it under the current key anyway).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kunruyi_common.crypto import DecryptionError, FieldCipher

__all__ = ["ColumnReport", "EncryptedColumn", "reencrypt_all", "reencrypt_column"]

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _no_aad(_row: Mapping[str, Any]) -> bytes:
    return b""


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column (or one key of a jsonb column) of an app's database.

    ``aad`` returns the associated data the app encrypts this column with, from the row's ``aad_columns``
    (plus the key). ``json_key``: the ciphertext is ``column ->> json_key`` inside a jsonb column.
    """

    table: str
    column: str
    # The primary key: one column or several (batches walk it in order).
    key: str | tuple[str, ...] = "id"
    aad: Callable[[Mapping[str, Any]], bytes] = _no_aad
    aad_columns: tuple[str, ...] = ()
    json_key: str | None = None

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.key,) if isinstance(self.key, str) else self.key

    def __post_init__(self) -> None:
        for name in (self.table, self.column, *self.key_columns, *self.aad_columns):
            if not _IDENT.match(name):
                raise ValueError(f"not a plain SQL identifier: {name!r}")
        if self.json_key is not None and not _IDENT.match(self.json_key):
            raise ValueError(f"not a plain JSON key: {self.json_key!r}")

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}" + (f"->{self.json_key}" if self.json_key else "")

    @property
    def _value_sql(self) -> str:
        return f"{self.column} ->> '{self.json_key}'" if self.json_key else self.column


@dataclass
class ColumnReport:
    column: str
    # Ciphertexts under another key, found and rewritten.
    rewritten: int = 0
    # Rows changed concurrently between read and write (left as the app wrote them).
    skipped: int = 0
    # Ciphertexts under a key this app no longer has (neither current nor retired): cannot be read.
    unreadable: int = 0
    batches: int = 0
    unreadable_keys: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rewritten": self.rewritten,
            "skipped": self.skipped,
            "unreadable": self.unreadable,
            "unreadable_key_ids": sorted(self.unreadable_keys),
        }


async def reencrypt_column(
    engine: AsyncEngine, cipher: FieldCipher, spec: EncryptedColumn, *, batch_size: int = 500
) -> ColumnReport:
    report = ColumnReport(spec.label)
    value = spec._value_sql
    keys = spec.key_columns
    key_list = ", ".join(keys)
    key_row = f"({key_list})"
    after_row = "(" + ", ".join(f":after_{i}" for i in range(len(keys))) + ")"
    selected = [*keys, *(c for c in spec.aad_columns if c not in keys)]
    # Only tokens under another key id (``v1.<kid>.<body>``) are read; keyset pagination on the primary key.
    base = (
        f"SELECT {', '.join(selected)}, {value} AS token__ FROM {spec.table} "
        f"WHERE {value} IS NOT NULL AND split_part({value}, '.', 2) <> :kid"
    )
    first = text(f"{base} ORDER BY {key_list} LIMIT :n")
    following = text(f"{base} AND {key_row} > {after_row} ORDER BY {key_list} LIMIT :n")
    if spec.json_key:
        assignment = (
            f"{spec.column} = jsonb_set({spec.column}, '{{{spec.json_key}}}', to_jsonb(CAST(:new__ AS text)))"
        )
    else:
        assignment = f"{spec.column} = :new__"
    match = " AND ".join(f"{k} = :{k}" for k in keys)
    update = text(f"UPDATE {spec.table} SET {assignment} WHERE {match} AND {value} = :old__")
    after: tuple[Any, ...] | None = None
    while True:
        async with engine.begin() as conn:
            params: dict[str, Any] = {"kid": cipher.key_id, "n": batch_size}
            if after is not None:
                params.update({f"after_{i}": v for i, v in enumerate(after)})
            result = await conn.execute(first if after is None else following, params)
            rows = result.mappings().all()
            if not rows:
                break
            report.batches += 1
            for row in rows:
                token = str(row["token__"])
                aad = spec.aad(dict(row))
                try:
                    plain = cipher.decrypt(token, aad)
                except DecryptionError:
                    report.unreadable += 1
                    parts = token.split(".")
                    report.unreadable_keys.add(parts[1] if len(parts) == 3 else "?")
                    continue
                new = cipher.encrypt(plain, associated_data=aad)
                written = await conn.execute(
                    update, {**{k: row[k] for k in keys}, "new__": new, "old__": token}
                )
                if getattr(written, "rowcount", 0) == 1:
                    report.rewritten += 1
                else:
                    report.skipped += 1
            after = tuple(rows[-1][k] for k in keys)
    return report


async def reencrypt_all(
    engine: AsyncEngine,
    cipher: FieldCipher,
    columns: Sequence[EncryptedColumn],
    *,
    batch_size: int = 500,
    progress: Callable[[ColumnReport], None] | None = None,
) -> list[ColumnReport]:
    reports = []
    for spec in columns:
        report = await reencrypt_column(engine, cipher, spec, batch_size=batch_size)
        if progress is not None:
            progress(report)
        reports.append(report)
    return reports
