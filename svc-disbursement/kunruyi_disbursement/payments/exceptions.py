"""The problems payments answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, Unauthorized, Unprocessable


class InvalidAccountNumber(Unprocessable):
    """银行账号应为 8–32 位数字"""

    code = "invalid_account_number"


class InvalidBankSignature(Unauthorized):
    """银行回调签名无效"""

    code = "invalid_bank_signature"


class InvalidCallback(Unprocessable):
    """回调内容无效：…"""

    code = "invalid_callback"


class UnknownReference(NotFound):
    """未知的支付参考号：…"""

    code = "unknown_reference"
