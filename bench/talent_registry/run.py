"""svc-talent registry benchmark.

1. Registrations per second through the service (validation, AES-GCM, blind index, class, history row and the
   outbox event, one transaction per registration as a request would) against plain INSERTs of the same rows
   (the same already-encrypted column values, one INSERT per transaction) into the same PostgreSQL: the ratio.
2. Lookup of a talent by ID number through the blind index (HMAC + indexed equality, via the service function),
   p50 / p99 at ``--rows`` talent rows (default one million). The filler rows are loaded with COPY; their
   ciphertext column holds one shared dummy token because only the index is read by a lookup.

Usage:  .venv/bin/python bench/talent_registry/run.py [--rows 1000000] [--registrations 2000] [--lookups 2000]
Uses KRY_DATABASE_URL (admin URL) if set, else starts an embedded PostgreSQL in var/bench-talent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from kunruyi_common.crypto import mask_resident_id
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_common.validators import build_resident_id
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import start_infra
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.schemas import EnterpriseCreate
from kunruyi_talent.identifiers import make_phone, make_uscc
from kunruyi_talent.pii import ID_NUMBER_PURPOSE, PersonalData
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import TalentCreate
from kunruyi_talent.talent.service import BIRTH_DATE_COLUMN
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]


def resident_id(n: int) -> str:
    """Unique for n < 36.5 M: the birth date walks 100 years of days, the sequence takes 1000 values."""
    birth = date(1925, 1, 1) + timedelta(days=(n // 1000) % 36500)
    return build_resident_id("320583", birth, n % 1000)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def bench(admin_url: str, rows: int, registrations: int, lookups: int) -> dict[str, object]:
    await ensure_databases(admin_url, ["bench_talent"], recreate=True)
    url = with_database(admin_url, "bench_talent")
    await asyncio.to_thread(upgrade_head, "kunruyi_talent", url)
    settings = Settings(database_url=url)
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    engine = create_engine(url, pool_size=4)
    sessionmaker = create_sessionmaker(engine)
    employer = make_uscc(1)
    async with sessionmaker() as s, s.begin():
        await enterprise_service.register(
            s, pii, EnterpriseCreate(uscc=employer, name="基准测试企业", district="开发区")
        )

    def body(n: int) -> TalentCreate:
        return TalentCreate(
            name=f"基准{n}",
            id_number=resident_id(n),
            phone=make_phone(n),
            education="master",
            programs=[{"name": "昆山双创", "year": 2024}],
            employer_uscc=employer,  # type: ignore[list-item]
            arrival_date=date(2022, 1, 1),
            fields=["集成电路"],
        )

    # --- 1. service registrations ------------------------------------------------------------------
    t0 = time.perf_counter()
    for n in range(registrations):
        async with sessionmaker() as s, s.begin():
            await talent_service.register(s, pii, body(n), "bench")
    service_s = time.perf_counter() - t0
    async with engine.connect() as conn:
        events = (
            await conn.execute(
                text("SELECT count(*) FROM outbox_events WHERE type LIKE 'kunruyi.talent.person%'")
            )
        ).scalar_one()
        stored = [
            dict(r._mapping)
            for r in await conn.execute(
                text(
                    "SELECT id, name, id_number_encrypted, id_number_index, id_number_masked, "
                    "birth_date_encrypted, gender, phone_encrypted, phone_index, phone_masked, education, programs::text AS programs, talent_class, "
                    "employer_id, arrival_date, fields FROM talents"
                )
            )
        ]
    assert events == registrations + 0 and len(stored) == registrations

    # --- plain INSERTs of the same rows --------------------------------------------------------------
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE talent_history, talents CASCADE"))
    insert = text(
        "INSERT INTO talents (id, name, id_number_encrypted, id_number_index, id_number_masked, "
        "birth_date_encrypted, gender, phone_encrypted, phone_index, phone_masked, education, programs, talent_class, "
        "employer_id, arrival_date, fields) VALUES (:id, :name, :id_number_encrypted, :id_number_index, "
        ":id_number_masked, :birth_date_encrypted, :gender, "
        ":phone_encrypted, :phone_index, :phone_masked, :education, CAST(:programs AS jsonb), :talent_class, "
        ":employer_id, :arrival_date, :fields)"
    )
    t0 = time.perf_counter()
    for row in stored:
        async with engine.begin() as conn:
            await conn.execute(insert, row)
    plain_s = time.perf_counter() - t0

    # --- 2. blind-index lookups at `rows` talent rows ------------------------------------------------
    raw = await engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        filler_token = pii.encrypt("000000000000000000", "talents.id_number")
        start = registrations
        t0 = time.perf_counter()
        batch = 100_000
        employer_id = stored[0]["employer_id"]
        for lo in range(start, rows, batch):
            records = []
            for n in range(lo, min(rows, lo + batch)):
                rid = resident_id(n)
                records.append(
                    (
                        uuid.uuid4(),
                        f"人才{n}",
                        filler_token,
                        pii.index(rid, ID_NUMBER_PURPOSE),
                        mask_resident_id(rid),
                        pii.encrypt(f"{rid[6:10]}-{rid[10:12]}-{rid[12:14]}", BIRTH_DATE_COLUMN),
                        "male" if int(rid[16]) % 2 else "female",
                        "other",
                        employer_id,
                    )
                )
            await driver.copy_records_to_table(
                "talents",
                records=records,
                columns=[
                    "id",
                    "name",
                    "id_number_encrypted",
                    "id_number_index",
                    "id_number_masked",
                    "birth_date_encrypted",
                    "gender",
                    "education",
                    "employer_id",
                ],
            )
        load_s = time.perf_counter() - t0
        await driver.execute("ANALYZE talents")
    finally:
        raw.close()

    rng = random.Random(7)
    samples = [resident_id(rng.randrange(rows)) for _ in range(lookups)]
    timings: list[float] = []
    async with sessionmaker() as s:
        for _ in range(50):  # warm the pool, the plan cache and the index pages
            await talent_service.find_by_id_number(s, pii, samples[0])
        for rid in samples:
            t = time.perf_counter()
            found = await talent_service.find_by_id_number(s, pii, rid)
            timings.append((time.perf_counter() - t) * 1000)
            assert found is not None
    async with engine.connect() as conn:
        total_rows = (await conn.execute(text("SELECT count(*) FROM talents"))).scalar_one()
        pg_version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    await engine.dispose()
    return {
        "registrations": registrations,
        "service_per_s": registrations / service_s,
        "plain_per_s": registrations / plain_s,
        "ratio": service_s / plain_s,
        "rows": total_rows,
        "load_s": load_s,
        "lookups": lookups,
        "p50_ms": statistics.median(timings),
        "p99_ms": pct(timings, 99),
        "max_ms": max(timings),
        "pg_version": pg_version,
    }


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    admin_url = os.environ.get("KRY_DATABASE_URL")
    infra = None
    if not admin_url:
        os.environ.setdefault("KRY_NATS_URL", "nats://127.0.0.1:1")  # the benchmark needs no bus
        infra = start_infra(
            ROOT / "var" / "bench-talent", fast_unsafe=False, fresh_events=True, log=lambda _m: None
        )
        admin_url = infra.database_admin_url
    try:
        r = asyncio.run(bench(admin_url, args.rows, args.registrations, args.lookups))
    finally:
        if infra is not None:
            infra.stop()
    print(f"machine: {machine()}; PostgreSQL {r['pg_version']}")
    print(f"registrations through the service (with outbox event): {r['service_per_s']:.0f}/s")
    print(f"plain INSERTs of the same rows:                         {r['plain_per_s']:.0f}/s")
    print(f"ratio: a registration through the service costs {r['ratio']:.1f}x a plain INSERT")
    print(
        f"blind-index lookup at {r['rows']:,} rows ({r['lookups']} lookups): "
        f"p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms, max {r['max_ms']:.3f} ms (COPY load {r['load_s']:.0f} s)"
    )


if __name__ == "__main__":
    main()
