"""The problems profile derivation answers with."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class DerivedValueMismatch(Unprocessable):
    """提交的派生变量（如 rd_ratio）与其原始数据（rd_expense_fen / revenue_fen）计算值不一致；errors 列出双方字段"""

    code = "derived_value_mismatch"
    title = "派生变量与原始数据矛盾"
