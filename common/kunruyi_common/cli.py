"""The command line every app shares: ``python -m kunruyi_<app> migrate | serve | seed | reencrypt``.

Every command first checks the app's secrets: outside explicit development mode an app refuses to run with a
development key and names it (exit status 78, EX_CONFIG).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from kunruyi_common.db import create_engine
from kunruyi_common.db.migrations import upgrade_head
from kunruyi_common.http_server import serve as serve_http
from kunruyi_common.reencrypt import ColumnReport, EncryptedColumn, reencrypt_all
from kunruyi_common.settings import SecretSettingError, ServiceSettings

# sysexits.h EX_CONFIG: the app is misconfigured (compose does not restart it in a tight loop without saying why).
EXIT_DEVELOPMENT_SECRETS = 78


def check_secrets_or_exit(settings: ServiceSettings) -> None:
    """Refuse to run with a malformed key, or outside development mode with a development key; say which."""
    try:
        settings.check_secrets()
    except SecretSettingError as exc:
        print(f"{settings.service_name}: {exc}", file=sys.stderr)
        sys.exit(EXIT_DEVELOPMENT_SECRETS)


async def reencrypt_command(
    settings: ServiceSettings, columns: Sequence[EncryptedColumn], *, batch_size: int
) -> list[ColumnReport]:
    engine = create_engine(settings.database_url, pool_size=1)

    def show(report: ColumnReport) -> None:
        print(json.dumps(report.as_dict(), ensure_ascii=False), flush=True)

    try:
        return await reencrypt_all(
            engine, settings.field_cipher(), columns, batch_size=batch_size, progress=show
        )
    finally:
        await engine.dispose()


def run(
    *,
    package: str,
    app_path: str,
    settings_factory: Callable[[], ServiceSettings],
    default_port: int,
    seed: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
    has_migrations: bool = True,
    encrypted_columns: Sequence[EncryptedColumn] = (),
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
    serve = sub.add_parser("serve", help="run the HTTP app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--unix-socket", help="also listen on this Unix socket (the gateway's way in on the same machine)"
    )
    sub.add_parser("seed", help="load demo data (idempotent)")
    reencrypt = sub.add_parser(
        "reencrypt", help="rewrite every encrypted column under the current PII key (after a key rotation)"
    )
    reencrypt.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    settings = settings_factory()
    check_secrets_or_exit(settings)

    if args.command == "migrate":
        if has_migrations:
            upgrade_head(package, settings.database_url)
        print(f"{package}: migrated")
    elif args.command == "serve":
        serve_http(
            app_path,
            host=args.host,
            port=args.port,
            workers=args.workers,
            unix_socket=Path(args.unix_socket) if args.unix_socket else None,
        )
    elif args.command == "seed":
        if not settings.dev_mode:
            # Demo data includes credentials printed in the source (the demo partner key), so never in production.
            print(
                f"{package}: seed loads demo data and runs in development mode only (DEV_MODE=true)",
                file=sys.stderr,
            )
            sys.exit(EXIT_DEVELOPMENT_SECRETS)
        if seed is None:
            print(f"{package}: nothing to seed")
            return
        asyncio.run(seed(settings))
        print(f"{package}: seeded")
    elif args.command == "reencrypt":
        reports = asyncio.run(reencrypt_command(settings, encrypted_columns, batch_size=args.batch_size))
        rewritten = sum(r.rewritten for r in reports)
        unreadable = sum(r.unreadable for r in reports)
        print(
            f"{package}: reencrypt done under key {settings.field_cipher().key_id}: "
            f"{len(reports)} columns, {rewritten} rewritten, {unreadable} unreadable"
        )
        if unreadable:
            sys.exit(1)
    else:  # pragma: no cover - argparse refuses unknown commands
        sys.exit(2)
