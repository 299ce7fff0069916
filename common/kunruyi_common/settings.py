"""Settings base shared by every app.

Each app subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``KRY_POLICY_``, ``KRY_TALENT_`` …).
Values come from the environment, then from files in ``/run/secrets`` (compose secrets), then defaults.
The defaults are for local runs only; the launcher overrides the URLs it starts.

Secrets are declared with :func:`secret_field`. Their defaults are development keys printed in this source: an
app refuses to start with one unless it runs in explicit development mode (``KRY_<APP>_DEV_MODE=true``, which
``make run`` and ``make test`` set), and compose.yaml must provide every one of them as a secret file
(tests/test_secrets.py walks these declarations). So is the database URL (it carries the password): left at its
default it is refused outside development mode as well.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kunruyi_common.crypto import FieldCipher, blind_index

__all__ = [
    "DEV_BLIND_INDEX_KEY",
    "DEV_INTERNAL_TOKEN_SECRET",
    "DEV_PII_KEY",
    "SECRETS_DIR",
    "DevelopmentSecretError",
    "InvalidSecretError",
    "SecretSettingError",
    "ServiceSettings",
    "secret_field",
    "service_config",
]

SECRETS_DIR = "/run/secrets"

# Development-only keys: accepted only in explicit development mode (see ServiceSettings.check_secrets).
DEV_PII_KEY = base64.b64encode(b"kunruyi-dev-pii-key-32-bytes!!!!").decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(b"kunruyi-dev-blind-index-key-32b!").decode()
DEV_INTERNAL_TOKEN_SECRET = "kunruyi-dev-internal-token-secret-change-me"

_SECRET_MARK = "kunruyi_secret"
_OPTIONAL_MARK = "kunruyi_secret_optional"


def _secret_forms(value: str) -> set[str | bytes]:
    """The forms a secret is used in: its text without surrounding whitespace and, when that is base64 (a key), the
    bytes it decodes to (kunruyi_common.crypto decodes keys leniently: either alphabet, whitespace stripped)."""
    text = value.strip()
    if not text:
        return set()
    forms: set[str | bytes] = {text}
    try:
        forms.add(
            base64.b64decode(text, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
        )
    except (binascii.Error, ValueError):
        pass
    return forms


def _secrets_dir() -> str | None:
    return SECRETS_DIR if os.path.isdir(SECRETS_DIR) else None


def secret_field(default: str, *, optional: bool = False) -> Any:
    """A secret setting. ``default`` is its development value (refused outside development mode).

    ``optional`` secrets default to empty and are only needed with a feature that is off by default (e.g. S3
    attachment storage): empty is allowed in production, and compose need not provide them.
    """
    extra: dict[str, Any] = {_SECRET_MARK: True}
    if optional:
        extra[_OPTIONAL_MARK] = True
    return Field(default=default, json_schema_extra=extra)


class SecretSettingError(RuntimeError):
    """A secret setting the app cannot start with."""


class InvalidSecretError(SecretSettingError):
    """A key setting that is not a usable key (e.g. not base64 of 32 bytes)."""


class DevelopmentSecretError(SecretSettingError):
    """The app is not in development mode but a secret still has its development value."""

    def __init__(self, env_names: list[str]) -> None:
        self.env_names = env_names
        super().__init__(
            "refusing to start outside development mode with development secrets: "
            + ", ".join(env_names)
            + " (set them from secrets, see deploy/secrets/generate.sh, or set "
            + "the app's DEV_MODE=true for a local run)"
        )


class ServiceSettings(BaseSettings):
    """Fields every app has. Subclasses set ``model_config = service_config("KRY_POLICY_")``."""

    model_config = SettingsConfigDict(env_prefix="KRY_", extra="ignore", secrets_dir=_secrets_dir())

    service_name: str = "kunruyi"
    # Explicit development mode: development keys are accepted (and, in the gateway, the dev token issuer is
    # trusted). Off unless set; the launcher sets it for `make run` and `make test`, compose never does.
    dev_mode: bool = False
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi"
    database_pool_size: int = 10
    # One URL, or a cluster's nodes separated by commas (nats://nats-1:4222,nats://nats-2:4222,...).
    nats_url: str = "nats://127.0.0.1:4222"
    # JetStream replicas of the streams the app makes: 1 on a single server, 3 on a 3-node cluster.
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    log_level: str = "INFO"
    log_file: Path | None = None
    # AES-256-GCM key for personal fields, base64 of 32 bytes. New ciphertexts always use this key.
    pii_key: str = secret_field(DEV_PII_KEY)
    # Keys rotated out (base64, separated by commas or whitespace): they still decrypt rows written under them
    # until `python -m kunruyi_<app> reencrypt` has rewritten those rows. See docs/operations.md.
    pii_retired_keys: str = secret_field("", optional=True)
    # HMAC-SHA256 key for blind indexes (exact lookup of encrypted fields), base64 of 32 bytes.
    blind_index_key: str = secret_field(DEV_BLIND_INDEX_KEY)
    # Shared secret for the short-lived internal tokens the gateway mints and services verify.
    internal_token_secret: str = secret_field(DEV_INTERNAL_TOKEN_SECRET)
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

    @classmethod
    def env_prefix(cls) -> str:
        return str(cls.model_config.get("env_prefix", ""))

    @classmethod
    def secret_fields(cls, *, include_optional: bool = True) -> list[str]:
        """Names of the fields declared with :func:`secret_field`."""
        names = []
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get(_SECRET_MARK):
                if include_optional or not extra.get(_OPTIONAL_MARK):
                    names.append(name)
        return names

    @classmethod
    def _development_values(cls) -> set[str | bytes]:
        """Every development value printed in the source for this app's secrets, in each form it is used in."""
        values: set[str | bytes] = set()
        for name in cls.secret_fields():
            values |= _secret_forms(str(cls.model_fields[name].default))
        for known in (DEV_PII_KEY, DEV_BLIND_INDEX_KEY, DEV_INTERNAL_TOKEN_SECRET):
            values |= _secret_forms(known)
        return values

    def development_secrets(self) -> list[str]:
        """Environment names of required secrets that are empty or hold a development value: their own default or
        any other development value of the app (``BLIND_INDEX_KEY`` set to the development PII key), also written
        with surrounding whitespace or as another base64 text of the same key bytes (keys are decoded that way)."""
        development = self._development_values()
        found = []
        for name in self.secret_fields(include_optional=False):
            value = str(getattr(self, name))
            if not value.strip() or _secret_forms(value) & development:
                found.append(f"{self.env_prefix()}{name}".upper())
        # The database URL holds the database password (compose gives it as a secret): its default, the local
        # superuser without a password, is for local runs only.
        if self.database_url.strip() == type(self).model_fields["database_url"].default:
            found.append(f"{self.env_prefix()}DATABASE_URL".upper())
        return found

    def check_secrets(self) -> None:
        """Raise :class:`InvalidSecretError` for a malformed key, and :class:`DevelopmentSecretError` naming each
        development secret unless in development mode."""
        prefix = self.env_prefix().upper()
        try:
            self.field_cipher()
        except ValueError as exc:
            raise InvalidSecretError(f"{prefix}PII_KEY / {prefix}PII_RETIRED_KEYS: {exc}") from None
        try:
            blind_index("check", self.blind_index_key, purpose="startup")
        except ValueError as exc:
            raise InvalidSecretError(f"{prefix}BLIND_INDEX_KEY: {exc}") from None
        if self.dev_mode:
            return
        found = self.development_secrets()
        if found:
            raise DevelopmentSecretError(found)

    def pii_retired_key_list(self) -> list[str]:
        return [k for k in re.split(r"[\s,]+", self.pii_retired_keys) if k]

    def field_cipher(self) -> FieldCipher:
        """This app's field cipher: encrypts under ``pii_key``, decrypts under it and every retired key."""
        return FieldCipher.from_keys(self.pii_key, self.pii_retired_key_list())


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", secrets_dir=_secrets_dir())
