"""The problems broker answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound


class BrokerExists(Conflict):
    """经纪人账号 … 已登记"""

    code = "broker_exists"


class BrokerInactive(Conflict):
    """经纪人已停止接单（不在岗），不能认领"""

    code = "broker_inactive"


class BrokerNotFound(NotFound):
    """经纪人 … 不存在"""

    code = "broker_not_found"


class CapacityExhausted(Conflict):
    """本月承接量已满（…/…）"""

    code = "capacity_exhausted"


class ConflictOfInterest(Conflict):
    """存在利益冲突，不能认领该企业的需求"""

    code = "conflict_of_interest"


class DemandNotClaimable(Conflict):
    """需求当前状态为 …，只能认领待分配的需求"""

    code = "demand_not_claimable"


class DemandNotReleasable(Conflict):
    """只有处于“…”阶段的需求可以释放"""

    code = "demand_not_releasable"


class NotYourRecord(Forbidden):
    """只能为本人申报利益冲突"""

    code = "not_your_record"
