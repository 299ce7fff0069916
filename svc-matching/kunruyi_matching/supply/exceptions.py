"""The problems supply answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound


class SupplyNotFound(NotFound):
    """The addressed supply (供给) does not exist."""

    code = "supply_not_found"
