"""The problems kunruyi_talent answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden, Unprocessable


class EnterpriseForbidden(Forbidden):
    """无权查看该企业档案"""

    code = "enterprise_forbidden"


class TalentForbidden(Forbidden):
    """无权查看该人才档案"""

    code = "talent_forbidden"


class UnknownTalent(Unprocessable):
    """人才档案不存在"""

    code = "unknown_talent"
