"""The problems kunruyi_matching answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden, NotFound


class DemandNotFound(NotFound):
    """技术需求 … 不存在"""

    code = "demand_not_found"


class NotABroker(Forbidden):
    """当前账号未登记为技术经纪人"""

    code = "not_a_broker"


class NotYourDemand(Forbidden):
    """只能释放自己承接的需求"""

    code = "not_your_demand"
