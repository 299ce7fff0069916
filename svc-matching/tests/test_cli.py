"""The generate / import commands and the idempotent seed, on a committed database."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database
from kunruyi_matching.seed import seed
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.importer import import_file
from sqlalchemy import text


@pytest.fixture(scope="session")
def cli_db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_cli")


async def counts(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def test_generate_then_import_deduplicates_and_reports_bad_rows(
    cli_db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "supply.jsonl"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kunruyi_matching",
        "generate",
        "--count",
        "200",
        "--out",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    first = json.loads(lines[0])
    assert first["kind"] == "expert" and any("\u4e00" <= ch <= "\u9fff" for ch in first["summary"])
    with out.open("a", encoding="utf-8") as fh:
        fh.write(lines[5] + "\n")  # a duplicate key
        fh.write(
            json.dumps({"kind": "expert", "natural_key": "X", "name": "坏行", "industry_chain": "造船"})
            + "\n"
        )
        fh.write("{not json\n")
    csv_file = tmp_path / "results.csv"
    csv_file.write_text(
        "kind,natural_key,name,summary,ipc_class,maturity,region\n"
        "result,CN999,一种先进封装键合方法,先进封装 键合 工艺,H01L 21/60,5,上海\n"
        "result,CN999,重复行,重复,H01L 21/60,5,上海\n",
        encoding="utf-8",
    )
    engine = create_engine(cli_db_url, pool_size=2)
    try:
        sm = create_sessionmaker(engine)
        report = await import_file(sm, out, progress=False)
        assert (report.read, report.written, report.duplicates, report.invalid) == (203, 200, 1, 2)
        assert any("industry_chain" in e for e in report.errors) and any(
            "第 203 行" in e for e in report.errors
        )
        csv_report = await import_file(sm, csv_file, progress=False)
        assert (csv_report.written, csv_report.duplicates) == (1, 1)
        again = await import_file(sm, out, progress=False, workers=2)
        assert again.written == 200
    finally:
        await engine.dispose()
    rows = await counts(cli_db_url, "SELECT count(*), max(version) FROM supply_entities")
    assert rows == [(201, 1)]  # re-importing unchanged rows touches nothing
    packaged = await counts(
        cli_db_url, "SELECT technical_field, search_tokens FROM supply_entities WHERE natural_key = 'CN999'"
    )
    assert packaged[0][0] == "advanced_packaging" and "先进封装" in str(packaged[0][1]).split()


async def test_seed_is_idempotent(cli_db_url: str, infra: Infra) -> None:
    settings = Settings(database_url=cli_db_url, nats_url=infra.nats_url)
    await seed(settings)
    sql = (
        "SELECT (SELECT count(*) FROM brokers), (SELECT count(DISTINCT agency) FROM brokers), "
        "(SELECT count(*) FROM supply_entities WHERE source = 'seed'), (SELECT count(*) FROM demands), "
        "(SELECT count(DISTINCT stage) FROM demands), (SELECT count(*) FROM challenges), "
        "(SELECT count(*) FROM outbox_events), (SELECT sum(version) FROM supply_entities)"
    )
    before = await counts(cli_db_url, sql)
    brokers, agencies, supply, demands, stages, challenges, _, _ = before[0]
    assert (
        brokers >= 1000
        and agencies >= 20
        and supply >= 3000
        and demands >= 40
        and stages >= 6
        and challenges == 3
    )
    await seed(settings)
    assert await counts(cli_db_url, sql) == before


async def test_resegment_applies_a_vocabulary_change_once(cli_db_url: str) -> None:
    # A row segmented before the thesaurus knew FOWLP: its tokens lack the canonical 扇出型晶圆级封装.
    insert = (
        "INSERT INTO supply_entities (id, kind, natural_key, name, summary, attributes, search_tokens, source, "
        "version, deals_count) VALUES (gen_random_uuid(), 'expert', 'reseg-1', '徐工', 'FOWLP翘曲控制', '{}', "
        "'徐工 fowlp 翘曲 控制', 'import', 1, 0) ON CONFLICT DO NOTHING"
    )
    engine = create_engine(cli_db_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(insert))
    finally:
        await engine.dispose()

    async def run() -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kunruyi_matching",
            "resegment",
            env={**os.environ, "KRY_MATCHING_DATABASE_URL": cli_db_url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    assert "re-segmented 0" not in await run()
    sql = "SELECT search_tokens, version FROM supply_entities WHERE natural_key = 'reseg-1'"
    tokens, version = (await counts(cli_db_url, sql))[0]
    assert "扇出型晶圆级封装" in str(tokens).split() and version == 2
    assert "re-segmented 0" in await run()
    assert (await counts(cli_db_url, sql))[0][1] == 2
