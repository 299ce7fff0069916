"""Outside development mode no development key is usable, however it is written: with whitespace around it (an
environment variable set from a file with its line end), as another base64 text of the same key bytes (keys are
decoded leniently), or given to another secret setting of the app (the development PII key as the blind index key).
Each is refused, naming the setting, as the development value itself is. So is the database URL left at its
default (the local superuser without a password): compose gives it as a secret, and without it an app must not
start."""

from __future__ import annotations

import base64
import os

import pytest
from kunruyi_common.settings import (
    DEV_BLIND_INDEX_KEY,
    DEV_INTERNAL_TOKEN_SECRET,
    DEV_PII_KEY,
    DevelopmentSecretError,
    ServiceSettings,
    secret_field,
    service_config,
)

DEV_PARTNER_SECRET = "partner-dev-secret"


class AppSettings(ServiceSettings):
    model_config = service_config("KRY_PROBE_")

    partner_secret: str = secret_field(DEV_PARTNER_SECRET)


def _real_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _real() -> dict[str, str]:
    return {
        "database_url": "postgresql+asyncpg://kunruyi:s3cret@postgres:5432/kunruyi_probe",
        "pii_key": _real_key(),
        "blind_index_key": _real_key(),
        "internal_token_secret": base64.urlsafe_b64encode(os.urandom(36)).decode(),
        "partner_secret": base64.urlsafe_b64encode(os.urandom(36)).decode(),
    }


def _same_key_other_text(key_b64: str) -> str:
    """Another base64 text of the same 32 bytes: the two spare bits of the last character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = key_b64.rstrip("=")[-1]
    other = alphabet[alphabet.index(last) | 0b11]
    text = key_b64.rstrip("=")[:-1] + other + "="
    assert text != key_b64 and base64.b64decode(text) == base64.b64decode(key_b64)
    return text


def test_real_secrets_pass_outside_development_mode() -> None:
    settings = AppSettings(dev_mode=False, **_real())
    assert settings.development_secrets() == []
    settings.check_secrets()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pii_key", DEV_PII_KEY),
        ("pii_key", f" {DEV_PII_KEY}\n"),
        ("pii_key", _same_key_other_text(DEV_PII_KEY)),
        ("pii_key", DEV_BLIND_INDEX_KEY),
        ("blind_index_key", DEV_PII_KEY),
        ("blind_index_key", DEV_BLIND_INDEX_KEY + "\n"),
        ("internal_token_secret", f"{DEV_INTERNAL_TOKEN_SECRET} "),
        ("partner_secret", DEV_INTERNAL_TOKEN_SECRET),
        ("partner_secret", f"\t{DEV_PARTNER_SECRET}\n"),
        ("internal_token_secret", DEV_PARTNER_SECRET),
    ],
    ids=[
        "pii-dev",
        "pii-dev-whitespace",
        "pii-dev-other-base64",
        "pii-is-dev-blind-index-key",
        "blind-index-is-dev-pii-key",
        "blind-index-dev-newline",
        "token-dev-space",
        "partner-is-dev-token-secret",
        "partner-dev-whitespace",
        "token-is-dev-partner-secret",
    ],
)
def test_a_development_value_in_any_form_is_refused_naming_the_setting(field: str, value: str) -> None:
    settings = AppSettings(dev_mode=False, **{**_real(), field: value})
    with pytest.raises(DevelopmentSecretError) as refused:
        settings.check_secrets()
    assert refused.value.env_names == [f"KRY_PROBE_{field.upper()}"]
    # In explicit development mode the same values are accepted.
    AppSettings(dev_mode=True, **{**_real(), field: value}).check_secrets()


def test_the_default_database_url_is_refused_outside_development_mode() -> None:
    real = _real()
    del real["database_url"]
    with pytest.raises(DevelopmentSecretError) as refused:
        AppSettings(dev_mode=False, **real).check_secrets()
    assert refused.value.env_names == ["KRY_PROBE_DATABASE_URL"]
    assert "KRY_PROBE_DATABASE_URL" in str(refused.value)
    AppSettings(dev_mode=True, **real).check_secrets()
