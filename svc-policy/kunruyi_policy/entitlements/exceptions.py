"""The problems entitlements answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, Unprocessable


class EvaluationDateInFuture(Unprocessable):
    """批次的评估日期 … 晚于今天，不能提前认定以后期间的兑现"""

    code = "evaluation_date_in_future"


class RunNotFound(NotFound):
    """批次不存在"""

    code = "run_not_found"
