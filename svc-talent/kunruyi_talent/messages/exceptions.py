"""The problems the message inbox answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden, NotFound, Unprocessable


class NotARecipient(Forbidden):
    """只有已登录的企业（苏商通）或人才本人可以查看和设置自己的消息"""

    code = "not_a_recipient"


class MessageNotFound(NotFound):
    """消息不存在或不属于本人"""

    code = "message_not_found"


class InvalidQuietHours(Unprocessable):
    """免打扰时段须同时给出开始和结束（0–23 点），且两者不同"""

    code = "invalid_quiet_hours"
