"""The problems servicedesk answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class NoRequesterPhone(NotFound):
    """该工单未留手机号"""

    code = "no_requester_phone"


class NotYetReplied(Conflict):
    """工单答复后才能评价"""

    code = "not_yet_replied"


class AlreadyRated(Conflict):
    """这次答复已评价过：每次答复只能评价一次"""

    code = "already_rated"


class AlreadyReopened(Conflict):
    """这次答复已重新打开过，请等待承办部门再次答复"""

    code = "already_reopened"


class ReopenNeedsDissatisfied(Conflict):
    """只有评价为“不满意”的答复才能重新打开：请先评价"""

    code = "reopen_needs_dissatisfied"


class ReopenWindowClosed(Conflict):
    """答复后 7 日内可重新打开，已截止；如仍有问题请提交新的诉求"""

    code = "reopen_window_closed"


class ReplyRequired(Unprocessable):
    """答复工单须填写答复内容"""

    code = "reply_required"


class RequesterPhoneRequired(Unprocessable):
    """个人提交诉求须留手机号，以便专人联系"""

    code = "requester_phone_required"


class UnknownDepartment(Unprocessable):
    """转办或邀请协办的部门“…”不在承办部门名单中"""

    code = "unknown_department"


class SameDepartment(Unprocessable):
    """工单不能转办或邀请协办到它自己所在的部门"""

    code = "same_department"


class AlreadyCoHandling(Conflict):
    """该部门已是此工单的协办部门"""

    code = "already_co_handling"


class JointHandlingInProgress(Conflict):
    """工单正由多个部门共同处理，不能转办（协办部门的部分仍在办理）"""

    code = "joint_handling_in_progress"


class TicketNotOpenForHandling(Conflict):
    """工单已答复、解决或办结：不能再转办、邀请协办或答复协办部分"""

    code = "ticket_not_open_for_handling"


class NotACoHandler(Forbidden):
    """该部门不是此工单的协办部门，只能答复本部门负责的部分"""

    code = "not_a_co_handler"


class PartAlreadyAnswered(Conflict):
    """本部门负责的部分已经答复"""

    code = "part_already_answered"


class PartsUnanswered(Conflict):
    """协办部门的部分尚未全部答复，牵头部门还不能答复诉求人"""

    code = "parts_unanswered"


class TicketForbidden(Forbidden):
    """无权查看工单列表"""

    code = "ticket_forbidden"


class TicketNotFound(NotFound):
    """工单 … 不存在"""

    code = "ticket_not_found"


class UnknownTicketType(Unprocessable):
    """诉求类型“…”不存在，可选：…"""

    code = "unknown_ticket_type"
