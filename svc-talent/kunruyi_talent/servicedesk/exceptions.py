"""The problems servicedesk answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class NoRequesterPhone(NotFound):
    """该工单未留手机号"""

    code = "no_requester_phone"


class NotYetReplied(Conflict):
    """工单答复后才能评价"""

    code = "not_yet_replied"


class ReplyRequired(Unprocessable):
    """答复工单须填写答复内容"""

    code = "reply_required"


class RequesterPhoneRequired(Unprocessable):
    """个人提交诉求须留手机号，以便专人联系"""

    code = "requester_phone_required"


class TicketForbidden(Forbidden):
    """无权查看工单列表"""

    code = "ticket_forbidden"


class TicketNotFound(NotFound):
    """工单 … 不存在"""

    code = "ticket_not_found"


class UnknownTicketType(Unprocessable):
    """诉求类型“…”不存在，可选：…"""

    code = "unknown_ticket_type"
