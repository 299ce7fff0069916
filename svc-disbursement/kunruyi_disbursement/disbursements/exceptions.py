"""The problems disbursements answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound


class DisbursementNotFound(NotFound):
    """拨付记录不存在"""

    code = "disbursement_not_found"
