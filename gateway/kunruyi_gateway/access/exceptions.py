"""The problems access answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden


class RouteNotPublic(Forbidden):
    """该接口未对外开放"""

    code = "route_not_public"
