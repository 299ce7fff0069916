"""The problems jobs answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound


class JobNotFound(NotFound):
    """后台任务不存在"""

    code = "job_not_found"


class JobNotCancellable(Conflict):
    """后台任务已结束（…），不能取消"""

    code = "job_not_cancellable"
