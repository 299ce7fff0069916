"""Benchmark: the database part of a 免申即享 run — N companies of the read model × M automatic policies to committed
entitlements and outbox rows, through the background job (the path `POST /api/v1/entitlement-runs` queues) —
against a plain `COPY` of the same number of rows into the same PostgreSQL.

The job is run by one worker (`kunruyi_policy.jobs.worker.JobWorker`) in chunks of `--chunk` entities, each chunk
one transaction (profiles read, evaluated vectorised, settled, entitlements and their outbox rows inserted, the
job's cursor advanced). The comparator copies the rows the run wrote (entitlements and outbox events, read back
beforehand, not timed) into empty tables made `LIKE … INCLUDING ALL` (same columns, indexes and constraints).

    .venv/bin/python bench/entitlement_run/db_run.py [--companies 50000] [--policies 120] [--chunk 5000]

Uses KRY_DATABASE_URL (admin URL) if set, else starts an embedded PostgreSQL in var/bench-entitlements.
At 1,000,000 companies (the issue's size) the run takes about half an hour and ~8 GB of memory (the
comparator holds the rows it copies); keep it out of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import asyncpg
from kunruyi_common.clock import local_today
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import start_infra
from kunruyi_policy.demo.seed import seed_policies, seed_taxonomy
from kunruyi_policy.demo.synthetic import synthetic_catalog, synthetic_enterprises
from kunruyi_policy.entitlements.service import start_run
from kunruyi_policy.jobs.worker import JobWorker
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "bench_entitlements"


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def load_profiles(url: str, n: int) -> float:
    """The read model: ``n`` synthetic companies, some newly certified this year (COPY, not timed as the run)."""
    records = []
    for i, profile in enumerate(synthetic_enterprises(n, seed=11, certified_in=local_today().year)):
        records.append(("enterprise", f"91320583BEN{i:07d}", "", json.dumps(profile)))
    conn = await asyncpg.connect(plain_url(url))
    try:
        begun = time.perf_counter()
        await conn.copy_records_to_table(
            "entity_profiles", records=records, columns=["entity_type", "entity_id", "name", "profile"]
        )
        await conn.execute("ANALYZE entity_profiles")
        return time.perf_counter() - begun
    finally:
        await conn.close()


async def copy_comparator(url: str) -> tuple[float, int]:
    """COPY the rows the run wrote into empty look-alike tables of the same database; returns (seconds, rows)."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        buffers = {}
        for table in ("entitlements", "outbox_events"):
            buffer = io.BytesIO()
            await conn.copy_from_query(
                f"SELECT * FROM {table}"
                + (
                    " WHERE type = 'kunruyi.policy.entitlement.determined'"
                    if table == "outbox_events"
                    else ""
                ),
                output=buffer,
                format="binary",
            )
            buffers[table] = buffer
            await conn.execute(f"DROP TABLE IF EXISTS copy_{table}")
            await conn.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        rows = 0
        begun = time.perf_counter()
        async with conn.transaction():
            for table, buffer in buffers.items():
                buffer.seek(0)
                status = await conn.copy_to_table(f"copy_{table}", source=buffer, format="binary")
                rows += int(status.split()[-1])
        return time.perf_counter() - begun, rows
    finally:
        await conn.close()


async def bench(admin_url: str, companies: int, policies: int, chunk: int) -> dict[str, Any]:
    await ensure_databases(admin_url, [DATABASE], recreate=True)
    url = with_database(admin_url, DATABASE)
    await asyncio.to_thread(upgrade_head, "kunruyi_policy", url)
    engine = create_engine(url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            await seed_taxonomy(session)
            await seed_policies(
                session,
                synthetic_catalog(policies, beneficiary="enterprise", mode="automatic"),
                is_demo=False,
            )
            # the seed's demo-free catalog: only the synthetic automatic items are in force
        load_s = await load_profiles(url, companies)
        async with sessionmaker() as session, session.begin():
            run, job, _ = await start_run(session, local_today(), "bench")
        worker = JobWorker(sessionmaker, owner="bench", chunk_size=chunk, lease_s=600)
        begun = time.perf_counter()
        ran = await worker.run_once()
        run_s = time.perf_counter() - begun
        assert ran == job.id
        async with engine.connect() as conn:
            counts, status = (
                await conn.execute(
                    text("SELECT counts, status FROM background_jobs WHERE id = :i"), {"i": job.id}
                )
            ).one()
            entitlements = (await conn.execute(text("SELECT count(*) FROM entitlements"))).scalar_one()
            outbox = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined'"
                    )
                )
            ).scalar_one()
            in_force = (
                await conn.execute(text("SELECT count(*) FROM policies WHERE mode = 'automatic'"))
            ).scalar_one()
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        assert status == "succeeded", status
        copy_s, copied = await copy_comparator(url)
    finally:
        await engine.dispose()
    return {
        "companies": companies,
        "policies": in_force,
        "chunk": chunk,
        "load_s": load_s,
        "run_s": run_s,
        "counts": counts,
        "entitlements": entitlements,
        "outbox": outbox,
        "copy_s": copy_s,
        "copied": copied,
        "pg_version": version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--policies", type=int, default=120)
    parser.add_argument("--chunk", type=int, default=5_000)
    args = parser.parse_args()
    admin_url = os.environ.get("KRY_DATABASE_URL")
    infra = None
    if not admin_url:
        os.environ.setdefault("KRY_NATS_URL", "nats://127.0.0.1:1")  # the benchmark needs no bus
        infra = start_infra(
            ROOT / "var" / "bench-entitlements", fast_unsafe=False, fresh_events=True, log=lambda _m: None
        )
        admin_url = infra.database_admin_url
    try:
        r = asyncio.run(bench(admin_url, args.companies, args.policies, args.chunk))
    finally:
        if infra is not None:
            infra.stop()
    c = r["counts"]
    rows = r["entitlements"] + r["outbox"]
    print(f"load average after the run: {os.getloadavg()}; PostgreSQL {r['pg_version']}")
    print(
        f"read model {r['companies']:,} companies (COPY load {r['load_s']:.1f} s) x {r['policies']} automatic "
        f"policies = {c['evaluations']:,} evaluations, chunks of {r['chunk']:,}"
    )
    print(
        f"run as a background job: {r['run_s']:.2f} s -> {c['evaluations'] / r['run_s']:,.0f} evaluations/s; "
        f"eligible {c['eligible']:,}, settled {c['settled']:,}, determined {c['determined']:,}; "
        f"{r['entitlements']:,} entitlements + {r['outbox']:,} outbox rows = {rows:,} rows -> "
        f"{rows / r['run_s']:,.0f} rows/s"
    )
    print(
        f"comparator COPY of the same {r['copied']:,} rows into look-alike tables: {r['copy_s']:.2f} s -> "
        f"{r['copied'] / r['copy_s']:,.0f} rows/s"
    )
    print(f"ratio: the run takes {r['run_s'] / r['copy_s']:.1f}x the COPY's time (goal <= 5x)")


if __name__ == "__main__":
    main()
