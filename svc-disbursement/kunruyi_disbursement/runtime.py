"""The running app's settings, for code the framework calls without a request (event handlers)."""

from __future__ import annotations

from kunruyi_disbursement.settings import Settings, get_settings

_current: Settings | None = None


def use_settings(settings: Settings) -> None:
    global _current
    _current = settings


def current_settings() -> Settings:
    global _current
    if _current is None:
        _current = get_settings()
    return _current
