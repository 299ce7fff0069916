"""The command line every app shares: ``python -m kunruyi_<app> migrate | serve | seed``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn

from kunruyi_common.db.migrations import upgrade_head
from kunruyi_common.settings import ServiceSettings


def run(
    *,
    package: str,
    app_path: str,
    settings_factory: Callable[[], ServiceSettings],
    default_port: int,
    seed: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
    has_migrations: bool = True,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
    serve = sub.add_parser("serve", help="run the HTTP app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--workers", type=int, default=1)
    sub.add_parser("seed", help="load demo data (idempotent)")
    args = parser.parse_args(argv)
    settings = settings_factory()

    if args.command == "migrate":
        if has_migrations:
            upgrade_head(package, settings.database_url)
        print(f"{package}: migrated")
    elif args.command == "serve":
        uvicorn.run(
            app_path,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            http="httptools",
            loop="uvloop",
            timeout_graceful_shutdown=5,
        )
    elif args.command == "seed":
        if seed is None:
            print(f"{package}: nothing to seed")
            return
        asyncio.run(seed(settings))
        print(f"{package}: seeded")
    else:  # pragma: no cover - argparse refuses unknown commands
        sys.exit(2)
