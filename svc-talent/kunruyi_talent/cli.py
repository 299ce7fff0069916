"""Commands beyond the shared migrate / serve / seed: ``import`` with a progress bar, and ``scan``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from kunruyi_common.cli import check_secrets_or_exit
from kunruyi_common.context import using_settings
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.errors import ProblemError
from tqdm import tqdm

from kunruyi_talent.background import run_once
from kunruyi_talent.imports.service import Importer, check_header, read_table
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings

BATCH = 500


async def import_command(settings: Settings, kind: str, path: Path, content: bytes, actor: str) -> int:
    try:
        header, rows = read_table(path.name, content)
        mapping = check_header(kind, header)
    except ProblemError as exc:
        print(f"导入被拒绝：{exc.detail}")
        return 2
    pii = PersonalData.from_settings(settings)
    importer = Importer(kind, mapping, pii, actor)
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        batch_rows = list(rows)
        with tqdm(total=len(batch_rows), unit="行", desc=f"导入 {path.name}") as bar:
            for start in range(0, len(batch_rows), BATCH):
                # Commit in batches so a large file shows progress in the database and memory stays flat.
                async with sessionmaker() as session, session.begin():
                    for row, cells in batch_rows[start : start + BATCH]:
                        await importer.add(session, row, cells)
                        bar.update(1)
    finally:
        await engine.dispose()
    print(json.dumps(importer.report.as_dict(), ensure_ascii=False, indent=2))
    return 0 if importer.report.failed == 0 else 1


async def scan_command(settings: Settings) -> None:

    engine = create_engine(settings.database_url, pool_size=2)
    try:
        with using_settings(settings):
            print(json.dumps(await run_once(create_sessionmaker(engine)), ensure_ascii=False))
    finally:
        await engine.dispose()


def handle(argv: list[str], settings_factory: type[Settings]) -> int | None:
    """Run our own subcommands; None means "not ours" and the shared CLI takes over."""
    if not argv or argv[0] not in ("import", "scan"):
        return None
    parser = argparse.ArgumentParser(prog="python -m kunruyi_talent")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="批量导入企业或人才（CSV / XLSX）")
    imp.add_argument("kind", choices=["enterprises", "talents"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--actor", default="cli")
    sub.add_parser("scan", help="超期工单检查、配租通知失效、空置房源配租")
    args = parser.parse_args(argv)
    settings = settings_factory()
    check_secrets_or_exit(settings)
    if args.command == "import":
        content = args.file.read_bytes()
        return asyncio.run(import_command(settings, args.kind, args.file, content, f"import:{args.actor}"))
    asyncio.run(scan_command(settings))
    return 0
