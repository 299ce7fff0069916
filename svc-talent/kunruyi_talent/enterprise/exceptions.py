"""The problems enterprise answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class EnterpriseExists(Conflict):
    """统一社会信用代码 … 已建档"""

    code = "enterprise_exists"


class EnterpriseNotFound(NotFound):
    """没有统一社会信用代码为 … 的企业档案"""

    code = "enterprise_not_found"


class InvalidExpiry(Unprocessable):
    """有效期截止日不能早于认定日期"""

    code = "invalid_expiry"


class InvalidPhone(Unprocessable):
    """A phone number is not a valid mainland mobile or landline number; `detail` says what is wrong."""

    code = "invalid_phone"


class InvalidYear(Unprocessable):
    """年度 … 无效"""

    code = "invalid_year"


class QualificationExists(Conflict):
    """该企业已登记“…”资质，如需更新请先删除"""

    code = "qualification_exists"


class QualificationNotFound(NotFound):
    """该企业没有“…”资质记录"""

    code = "qualification_not_found"


class RdExceedsRevenue(Unprocessable):
    """研发费用不能大于营业收入"""

    code = "rd_exceeds_revenue"


class UnknownDistrict(Unprocessable):
    """区镇“…”不在昆山区镇列表中（…）"""

    code = "unknown_district"


class UnknownPlatform(Unprocessable):
    """未知的平台类型：…（可选 …）"""

    code = "unknown_platform"
