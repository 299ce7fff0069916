"""The problems reconciliation answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import ServiceUnavailable


class BankUnavailable(ServiceUnavailable):
    """无法获取银行对账单：…"""

    code = "bank_unavailable"
