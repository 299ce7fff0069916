"""The problems demand answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class ChannelNotAllowed(Forbidden):
    """扫码用户只能通过昆e服渠道（qr）提交需求"""

    code = "channel_not_allowed"


class DemandNotPending(Conflict):
    """需求当前状态为 …，只有待审核的需求可以审核"""

    code = "demand_not_pending"


class DemandNotVisible(Forbidden):
    """该需求的可见范围为 …，当前账号无权查看"""

    code = "demand_not_visible"


class NotHandlingStaff(Forbidden):
    """只有审核人员和承接该需求的经纪人可以查看原文"""

    code = "not_handling_staff"


class ContactRequired(Unprocessable):
    """昆e服提交技术需求须留联系人和联系电话，以便技术经纪人联系"""

    code = "contact_required"


class DemandLookupFailed(NotFound):
    """需求编号或查询码不正确"""

    code = "demand_lookup_failed"
