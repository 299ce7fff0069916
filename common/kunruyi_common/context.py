"""What code the framework calls without a request — event handlers, periodic jobs — knows of its app.

The app factory sets the app's settings here before it starts its consumers and periodic tasks (which inherit
the context), and :class:`~kunruyi_common.events.EventConsumer` and :class:`~kunruyi_common.periodic.PeriodicTask`
set them again around every handler call and tick when given them, so a handler reads its service's settings
with :func:`app_settings` instead of a process global. A request's code takes them from ``request.app.state``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from kunruyi_common.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

_SETTINGS: ContextVar[ServiceSettings | None] = ContextVar("kunruyi_app_settings", default=None)


def set_app_settings(settings: ServiceSettings) -> None:
    """Set the settings for this context and every task started from it (the app's lifespan does this)."""
    _SETTINGS.set(settings)


@contextmanager
def using_settings(settings: ServiceSettings | None) -> Iterator[None]:
    """Run a block (a handler call, a tick, a test) with ``settings`` as the app's settings; None changes nothing."""
    if settings is None:
        yield
        return
    token = _SETTINGS.set(settings)
    try:
        yield
    finally:
        _SETTINGS.reset(token)


def app_settings(kind: type[S]) -> S:
    """The running app's settings, as its own settings class. Raises LookupError outside an app's context."""
    settings = _SETTINGS.get()
    if settings is None:
        raise LookupError("no app settings in this context (set by the app, a consumer or a periodic task)")
    if not isinstance(settings, kind):
        raise TypeError(f"the app's settings are {type(settings).__name__}, not {kind.__name__}")
    return settings
