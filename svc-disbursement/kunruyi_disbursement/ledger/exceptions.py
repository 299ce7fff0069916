"""The problems ledger answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound


class AccountNotFound(NotFound):
    """账户不存在"""

    code = "account_not_found"


class PendingTransferResolved(Conflict):
    """该预留转账已被过账或作废"""

    code = "pending_transfer_resolved"


class TransferConflict(Conflict):
    """转账 … 已存在且内容不同"""

    code = "transfer_conflict"
