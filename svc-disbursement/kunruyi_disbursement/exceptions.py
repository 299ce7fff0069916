"""The problems kunruyi_disbursement answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class UnknownPolicy(Unprocessable):
    """未知的政策编码：…"""

    code = "unknown_policy"
