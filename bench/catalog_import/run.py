"""Benchmark: a catalog import as a background job against the same import as one direct call.

The sheet is the catalog (the 463 demo items, or ``--items N`` synthetic ones) exported as rows, imported into a
freshly migrated svc-policy database that has the departments, themes, documents and groups but no policy — so every
row creates a policy with its draft version. Both sides run in this process on the same PostgreSQL:

- direct: ``catalog_sheets.service.import_sheet(..., dry_run=False)`` in one transaction — what the request did
  before imports became jobs (check the whole sheet, write every row);
- job: the import queued as the request now does (``enqueue_import``, committed), then worked by one job worker
  (``kunruyi_policy.jobs.worker.JobWorker``) to its end: the whole-sheet check, then chunks of ``--chunk`` rows,
  each one transaction with its drafts, outbox rows and the job's cursor.

Each side runs ``--repeat`` times, alternating, each time on a recreated database; the medians are reported with
their ratio (job / direct).

    .venv/bin/python bench/catalog_import/run.py [--items 463] [--chunk 50] [--repeat 3]

Uses KRY_DATABASE_URL (admin URL) if set, else starts an embedded PostgreSQL in var/bench-catalog-import.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import start_infra
from kunruyi_policy.catalog.spreadsheet import export_rows
from kunruyi_policy.catalog_sheets import service
from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.demo.seed import seed_taxonomy
from kunruyi_policy.demo.synthetic import synthetic_catalog
from kunruyi_policy.jobs.worker import JobWorker
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "bench_catalog_import"
ADMIN = Principal(kind="staff", subject="bench-admin", roles=["admin"])


def sheet(items: int | None) -> list[dict[str, str]]:
    catalog = demo_catalog() if items is None else synthetic_catalog(items)
    rows = []
    for raw in catalog:
        item = dict(raw)
        item["valid_from"] = str(item.get("valid_from") or "2022-01-01")
        item["tags"] = list(item.get("tags") or [])
        rows.append(item)
    return export_rows(rows)


async def fresh(admin_url: str) -> str:
    await ensure_databases(admin_url, [DATABASE], recreate=True)
    url = with_database(admin_url, DATABASE)
    await asyncio.to_thread(upgrade_head, "kunruyi_policy", url)
    engine = create_engine(url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_taxonomy(session)
    finally:
        await engine.dispose()
    return url


async def written(url: str) -> tuple[int, int]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            policies = (await conn.execute(text("SELECT count(*) FROM policies"))).scalar_one()
            drafts = (
                await conn.execute(text("SELECT count(*) FROM policy_versions WHERE state = 'draft'"))
            ).scalar_one()
        return int(policies), int(drafts)
    finally:
        await engine.dispose()


async def direct(admin_url: str, rows: list[dict[str, str]]) -> float:
    url = await fresh(admin_url)
    engine = create_engine(url, pool_size=2)
    try:
        begun = time.perf_counter()
        async with create_sessionmaker(engine)() as session, session.begin():
            report = await service.import_sheet(session, ADMIN, rows, dry_run=False)
        elapsed = time.perf_counter() - begun
    finally:
        await engine.dispose()
    assert report["written"] and len(report["created"]) == len(rows), report["errors"][:3]
    assert await written(url) == (len(rows), len(rows))
    return elapsed


async def as_job(admin_url: str, rows: list[dict[str, str]], chunk: int) -> tuple[float, dict[str, Any]]:
    url = await fresh(admin_url)
    engine = create_engine(url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        begun = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            job = await service.enqueue_import(session, ADMIN, rows, "bench.csv")
        worker = JobWorker(sessionmaker, owner="bench", lease_s=600, chunk_sizes={"catalog_import": chunk})
        ran = await worker.run_once()
        elapsed = time.perf_counter() - begun
        async with engine.connect() as conn:
            status, done, chunks = (
                await conn.execute(
                    text("SELECT status, done, chunks FROM background_jobs WHERE id = :i"), {"i": job.id}
                )
            ).one()
    finally:
        await engine.dispose()
    assert ran == job.id and status == "succeeded" and done == len(rows), (status, done)
    assert await written(url) == (len(rows), len(rows))
    return elapsed, {"chunks": chunks}


async def bench(admin_url: str, items: int | None, chunk: int, repeat: int) -> dict[str, Any]:
    rows = sheet(items)
    direct_s: list[float] = []
    job_s: list[float] = []
    info: dict[str, Any] = {}
    for _ in range(repeat):
        direct_s.append(await direct(admin_url, rows))
        elapsed, info = await as_job(admin_url, rows, chunk)
        job_s.append(elapsed)
    engine = create_engine(with_database(admin_url, DATABASE), pool_size=1)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    finally:
        await engine.dispose()
    return {"rows": len(rows), "direct": direct_s, "job": job_s, "pg": version, **info}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=None, help="synthetic items instead of the 463 demo items"
    )
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    admin_url = os.environ.get("KRY_DATABASE_URL")
    infra = None
    if not admin_url:
        os.environ.setdefault("KRY_NATS_URL", "nats://127.0.0.1:1")  # the benchmark needs no bus
        infra = start_infra(
            ROOT / "var" / "bench-catalog-import", fast_unsafe=False, fresh_events=True, log=lambda _m: None
        )
        admin_url = infra.database_admin_url
    try:
        r = asyncio.run(bench(admin_url, args.items, args.chunk, args.repeat))
    finally:
        if infra is not None:
            infra.stop()
    d, j = statistics.median(r["direct"]), statistics.median(r["job"])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {r['pg']}; load average after the runs: {os.getloadavg()}"
    )
    print(f"sheet: {r['rows']} rows, each a new policy with its draft version; {args.repeat} runs a side")
    print(
        f"direct call (one transaction): median {d:.2f} s -> {r['rows'] / d:,.0f} rows/s "
        f"(runs: {', '.join(f'{x:.2f}' for x in r['direct'])})"
    )
    print(
        f"background job (check + {r['chunks'] - 1} chunks of {args.chunk}): median {j:.2f} s -> "
        f"{r['rows'] / j:,.0f} rows/s (runs: {', '.join(f'{x:.2f}' for x in r['job'])})"
    )
    print(f"ratio: the job takes {j / d:.2f}x the direct call's time")


if __name__ == "__main__":
    main()
