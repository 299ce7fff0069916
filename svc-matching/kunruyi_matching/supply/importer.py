"""Bulk import of supply (CSV or JSONL) with a progress bar and de-duplication by (kind, natural_key).

Rows are validated one by one (a bad row is reported with its line number and skipped, never aborting the
file), segmented once here so the index never has to, and written in batches with INSERT … ON CONFLICT DO
UPDATE: re-importing a file updates rows in place, and a key repeated within the file keeps its first row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kunruyi_common.validation_messages import chinese_message
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import row_values, upsert_many

BATCH = 1000


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    duplicates: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                cleaned: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
                if "attributes" in cleaned:
                    try:
                        cleaned["attributes"] = json.loads(cleaned["attributes"])
                    except json.JSONDecodeError:
                        cleaned["attributes"] = {"raw": cleaned["attributes"]}
                yield line, cleaned
        return
    with path.open(encoding="utf-8") as fh:
        for line, text in enumerate(fh, start=1):
            if text.strip():
                try:
                    yield line, json.loads(text)
                except json.JSONDecodeError as exc:
                    yield line, {"__error__": f"JSON 无法解析：{exc.msg}"}


def _prepare(batch: list[tuple[SupplyIn, str]]) -> list[dict[str, Any]]:
    return [row_values(record, source) for record, source in batch]


async def import_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: Path,
    *,
    source: str = "import",
    workers: int = 1,
    progress: bool = True,
) -> ImportReport:
    report = ImportReport()
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[SupplyIn, str]] = []
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    futures: list[Any] = []

    async def flush(rows: list[dict[str, Any]]) -> None:
        async with sessionmaker() as session, session.begin():
            await upsert_many(session, rows)
        report.written += len(rows)

    async def drain(limit: int) -> None:
        while len(futures) > limit:
            await flush(futures.pop(0).result())

    bar = tqdm(unit="条", desc=f"导入 {path.name}", disable=not progress)
    try:
        for line, raw in read_rows(path):
            report.read += 1
            bar.update(1)
            if "__error__" in raw:
                report.invalid += 1
                report.errors.append(f"第 {line} 行：{raw['__error__']}")
                continue
            try:
                record = SupplyIn.model_validate(raw)
            except ValidationError as exc:
                report.invalid += 1
                first = exc.errors()[0]
                report.errors.append(
                    f"第 {line} 行：{'.'.join(map(str, first['loc']))}: {chinese_message(first)}"
                )
                continue
            key = (record.kind, record.natural_key)
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            pending.append((record, source))
            if len(pending) >= BATCH:
                if pool is not None:
                    futures.append(pool.submit(_prepare, pending))
                    await drain(workers * 2)
                else:
                    await flush(_prepare(pending))
                pending = []
        if pending:
            if pool is not None:
                futures.append(pool.submit(_prepare, pending))
            else:
                await flush(_prepare(pending))
        await drain(0)
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
    return report
