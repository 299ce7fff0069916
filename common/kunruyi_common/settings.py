"""Settings base shared by every app.

Each app subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``KRY_POLICY_``, ``KRY_TALENT_`` …).
Values come from the environment, then from files in ``/run/secrets`` (compose secrets), then defaults.
The defaults are for local runs only; the launcher overrides the URLs it starts.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRETS_DIR = "/run/secrets"

# Development-only keys. Production sets real ones through secrets; the launcher warns when these are in use.
DEV_PII_KEY = base64.b64encode(b"kunruyi-dev-pii-key-32-bytes!!!!").decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(b"kunruyi-dev-blind-index-key-32b!").decode()
DEV_INTERNAL_TOKEN_SECRET = "kunruyi-dev-internal-token-secret-change-me"


def _secrets_dir() -> str | None:
    return SECRETS_DIR if os.path.isdir(SECRETS_DIR) else None


class ServiceSettings(BaseSettings):
    """Fields every app has. Subclasses set ``model_config = service_config("KRY_POLICY_")``."""

    model_config = SettingsConfigDict(env_prefix="KRY_", extra="ignore", secrets_dir=_secrets_dir())

    service_name: str = "kunruyi"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi"
    database_pool_size: int = 10
    nats_url: str = "nats://127.0.0.1:4222"
    log_level: str = "INFO"
    log_file: Path | None = None
    # AES-256-GCM key for personal fields, base64 of 32 bytes.
    pii_key: str = DEV_PII_KEY
    # HMAC-SHA256 key for blind indexes (exact lookup of encrypted fields), base64 of 32 bytes.
    blind_index_key: str = DEV_BLIND_INDEX_KEY
    # Shared secret for the short-lived internal tokens the gateway mints and services verify.
    internal_token_secret: str = DEV_INTERNAL_TOKEN_SECRET
    outbox_poll_interval_s: float = 0.5
    consumer_max_deliver: int = 5
    consumer_ack_wait_s: float = 30.0
    # Run the outbox relay and event consumers inside the app process (off in some tests).
    run_background_workers: bool = True
    public_base_url: str = Field(default="http://127.0.0.1:8000")
    # Prometheus metrics are served on a port of their own, never on the app's port (the gateway's is public).
    # Unset: no metrics listener (tests, one-off commands). The launcher and compose set it.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Periodic checks that export gauges for the alert rules (kunruyi_common.health_checks); the scale multiplies
    # every check's interval (below 1 in a local run that wants alerts sooner).
    periodic_checks: bool = True
    periodic_check_interval_scale: float = Field(default=1.0, gt=0)


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", secrets_dir=_secrets_dir())
