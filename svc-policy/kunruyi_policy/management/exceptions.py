"""The problems management answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Unprocessable


class EffectiveDateTooEarly(Unprocessable):
    """生效日期须晚于现行版本的生效日期 …"""

    code = "effective_date_too_early"


class InvalidRule(Unprocessable):
    """规则无效：…：…"""

    code = "invalid_rule"


class InvalidValidity(Unprocessable):
    """失效日期早于生效日期"""

    code = "invalid_validity"


class PolicyCodeTaken(Conflict):
    """政策编码 … 已存在"""

    code = "policy_code_taken"


class PolicyExpired(Conflict):
    """政策已失效，不能发布新版本"""

    code = "policy_expired"


class PolicyNotPublished(Conflict):
    """只有已发布的政策可以暂停"""

    code = "policy_not_published"


class UnknownDepartment(Unprocessable):
    """没有部门 …"""

    code = "unknown_department"


class UnknownTheme(Unprocessable):
    """没有主题服务 …"""

    code = "unknown_theme"


class UnknownDocument(Unprocessable):
    """没有政策文件 …（先登记文件，见 /api/v1/policy-documents）"""

    code = "unknown_document"


class UnknownStackingGroup(Unprocessable):
    """没有叠加封顶组 …"""

    code = "unknown_stacking_group"
