"""``python -m kunruyi_matching`` — migrate | serve | seed | reencrypt (shared) and import | generate | resegment
(this service)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kunruyi_common.cli import run
from kunruyi_common.db import create_engine, create_sessionmaker

from kunruyi_matching.pii import ENCRYPTED_COLUMNS
from kunruyi_matching.seed import seed
from kunruyi_matching.settings import get_settings
from kunruyi_matching.supply.importer import import_file
from kunruyi_matching.supply.service import resegment
from kunruyi_matching.synthetic.generator import write_jsonl

OWN_COMMANDS = ("import", "generate", "resegment")


def _own(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_matching")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser(
        "import", help="bulk-import supply from CSV or JSONL (de-duplicated by kind + natural_key)"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", default="import")
    imp.add_argument("--workers", type=int, default=1, help="processes for segmentation")
    gen = sub.add_parser("generate", help="write synthetic supply data as JSONL")
    gen.add_argument("--count", type=int, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=2026)
    sub.add_parser(
        "resegment",
        help="re-segment every supplier after a dictionary / thesaurus change (changed rows re-indexed)",
    )
    args = parser.parse_args(argv)
    if args.command == "resegment":
        sys.exit(asyncio.run(_resegment()))
    if args.command == "generate":
        write_jsonl(args.out, args.count, args.seed)
        print(f"wrote {args.count} records to {args.out}")
        return

    async def go() -> int:
        engine = create_engine(get_settings().database_url)
        try:
            report = await import_file(
                create_sessionmaker(engine), args.file, source=args.source, workers=args.workers
            )
        finally:
            await engine.dispose()
        print(
            f"read {report.read}, written {report.written}, duplicates skipped {report.duplicates}, "
            f"invalid {report.invalid}"
        )
        for error in report.errors[:20]:
            print("  " + error)
        return 1 if report.invalid and not report.written else 0

    sys.exit(asyncio.run(go()))


async def _resegment() -> int:
    engine = create_engine(get_settings().database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            read, changed = await resegment(session)
    finally:
        await engine.dispose()
    print(f"read {read}, re-segmented {changed}")
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in OWN_COMMANDS:
        _own(argv)
        return

    run(
        package="kunruyi_matching",
        app_path="kunruyi_matching.main:app",
        settings_factory=get_settings,
        default_port=8004,
        seed=seed,
        encrypted_columns=ENCRYPTED_COLUMNS,
        argv=argv,
    )


if __name__ == "__main__":
    main()
