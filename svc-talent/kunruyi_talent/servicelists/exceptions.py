"""The problems the service lists answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, Unprocessable


class CountermeasureNotFound(NotFound):
    """没有编号为 … 的对策"""

    code = "countermeasure_not_found"


class UnknownLinkedTicket(Unprocessable):
    """对策关联的工单 … 不存在"""

    code = "unknown_linked_ticket"
