"""The problems routing answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound


class RouteNotFound(NotFound):
    """没有这个地址：…"""

    code = "route_not_found"
