"""``python -m kunruyi_disbursement migrate | serve | seed | ledger-check | audit-verify | reconcile --date D``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from kunruyi_common.cli import run
from kunruyi_common.db import create_engine, create_sessionmaker

from kunruyi_disbursement.audit.service import verify
from kunruyi_disbursement.ledger.service import check_invariants
from kunruyi_disbursement.payments.payees import ENCRYPTED_COLUMNS
from kunruyi_disbursement.reconciliation.service import reconcile
from kunruyi_disbursement.seed import seed
from kunruyi_disbursement.settings import Settings, get_settings

EXTRA_COMMANDS = ("ledger-check", "audit-verify", "reconcile")


async def _with_session(
    settings: Settings, work: Callable[[Any], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:

    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _extra(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_disbursement")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ledger-check", help="check the ledger's invariants (exit 1 if any fails)")
    sub.add_parser("audit-verify", help="verify the audit log's hash chain (exit 1 if broken)")
    rec = sub.add_parser("reconcile", help="reconcile the bank's daily statement with the ledger")
    rec.add_argument("--date", required=True, type=date.fromisoformat)
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "ledger-check":
        report = asyncio.run(_with_session(settings, check_invariants))
    elif args.command == "audit-verify":
        report = asyncio.run(_with_session(settings, verify))
    else:
        report = asyncio.run(
            _with_session(settings, lambda s: reconcile(s, settings, args.date, actor="cli"))
        )
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report.get("ok", True) else 1


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in EXTRA_COMMANDS:
        sys.exit(_extra(argv))

    run(
        package="kunruyi_disbursement",
        app_path="kunruyi_disbursement.main:app",
        settings_factory=get_settings,
        default_port=8003,
        seed=seed,
        encrypted_columns=ENCRYPTED_COLUMNS,
        argv=argv,
    )


if __name__ == "__main__":
    main()
