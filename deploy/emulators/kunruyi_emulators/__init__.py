"""Emulators of external systems: each module is its own process (``python -m kunruyi_emulators.<name>``)."""

from __future__ import annotations

import os
from pathlib import Path

SECRETS_DIR = Path("/run/secrets")


def shared_secret(env_name: str, default: str) -> str:
    """A shared secret: the environment variable, else the compose secret file ``/run/secrets/<name lowercase>``
    (how compose.yaml gives the emulators the same generated secret as the app they talk to), else the
    development default."""
    value = os.environ.get(env_name)
    if value is not None:
        return value
    path = SECRETS_DIR / env_name.lower()
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return default
