"""The gateway's own commands: app key administration and development staff tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from kunruyi_common.cli import check_secrets_or_exit
from kunruyi_common.db import create_engine, create_sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.partners import service
from kunruyi_gateway.settings import Settings, get_settings
from kunruyi_gateway.staff.tokens import ROLES, GatewayIssuer


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _key_json(key: Any, **extra: Any) -> str:
    body = {
        "app_key": key.app_key,
        "name": key.name,
        "scopes": key.scopes,
        "rate": key.rate,
        "status": key.status,
        "is_demo": key.is_demo,
        **extra,
    }
    return json.dumps(body, ensure_ascii=False, default=str)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("app-key", help="partner app keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create a key; prints its secret once")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scope", action="append", default=[], help=f"repeatable; one of {', '.join(service.SCOPES)}"
    )
    create.add_argument("--rate", default=None, help="e.g. 600/minute")
    create.add_argument("--app-key", default=None)
    rotate = keys.add_parser("rotate", help="new secret; the old one stays valid for the overlap")
    rotate.add_argument("app_key")
    rotate.add_argument("--overlap-s", type=int, default=None)
    disable = keys.add_parser("disable", help="refuse every request signed with this key")
    disable.add_argument("app_key")
    keys.add_parser("list", help="all keys (never their secrets)")
    token = sub.add_parser("token", help="print a development staff token (dev issuer)")
    token.add_argument("--role", action="append", required=True, choices=ROLES)
    token.add_argument("--dept", default=None)
    token.add_argument("--sub", default=None)
    token.add_argument("--name", default=None)
    token.add_argument("--ttl-s", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    settings = get_settings()

    if args.command == "token":
        roles: list[str] = args.role
        issuer = GatewayIssuer.for_settings(settings)
        subject = args.sub or f"dev-{roles[0]}"
        print(
            issuer.mint(
                issuer=settings.dev_issuer,
                audience=settings.oidc_audience,
                subject=subject,
                ttl_s=args.ttl_s,
                name=args.name or f"开发用户（{roles[0]}）",
                roles=roles,
                department=args.dept,
            )
        )
        return

    check_secrets_or_exit(settings)
    cipher = settings.field_cipher()
    if args.action == "create":
        issued = asyncio.run(
            _in_transaction(
                settings,
                lambda s: service.create_key(
                    s,
                    cipher,
                    name=args.name,
                    scopes=args.scope,
                    rate=args.rate or settings.default_partner_rate,
                    app_key=args.app_key,
                ),
            )
        )
        print(_key_json(issued.app_key, secret=issued.secret))
    elif args.action == "rotate":
        overlap = settings.rotation_overlap_s if args.overlap_s is None else args.overlap_s
        issued = asyncio.run(
            _in_transaction(
                settings, lambda s: service.rotate_key(s, cipher, args.app_key, overlap_s=overlap)
            )
        )
        print(
            _key_json(
                issued.app_key, secret=issued.secret, previous_secret_valid_until=issued.previous_valid_until
            )
        )
    elif args.action == "disable":
        key = asyncio.run(_in_transaction(settings, lambda s: service.disable_key(s, args.app_key)))
        print(_key_json(key))
    elif args.action == "list":
        for key in asyncio.run(_in_transaction(settings, service.list_keys)):
            print(_key_json(key))
