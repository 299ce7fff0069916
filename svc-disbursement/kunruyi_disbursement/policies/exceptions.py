"""The problems policies answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class AmountOverCap(Unprocessable):
    """金额超过政策上限 … 分"""

    code = "amount_over_cap"


class PeriodOutsideValidity(Unprocessable):
    """期间 … 不在政策有效期（… 至 …）内"""

    code = "period_outside_validity"


class PolicyNotOpen(Unprocessable):
    """政策 … 当前不可申报（…）"""

    code = "policy_not_open"
