"""The problems 公示 objections (异议) answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class ObjectionNotFound(NotFound):
    """公示异议不存在"""

    code = "program_objection_not_found"


class NoticePeriodOver(Conflict):
    """公示期已结束（或批次已不在公示中），不再受理异议（按北京时间日期）"""

    code = "notice_period_over"


class ObjectionTargetNotSelected(Unprocessable):
    """异议针对的申报不是本批次公示名单中的入选申报"""

    code = "objection_target_not_selected"


class ObjectionAlreadyResolved(Conflict):
    """该异议已处理（成立或不成立），不能再处理"""

    code = "objection_already_resolved"
