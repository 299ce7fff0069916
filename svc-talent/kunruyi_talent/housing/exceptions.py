"""The problems housing answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class ApplicationExists(Conflict):
    """该人才已有轮候中或已配租的申请"""

    code = "application_exists"


class ClassNotEligible(Unprocessable):
    """该项目面向 … 类人才，申请人人才类别为 …"""

    code = "class_not_eligible"


class DuplicateUnit(Unprocessable):
    """房号重复"""

    code = "duplicate_unit"


class HousingForbidden(Forbidden):
    """只能办理本人的住房申请"""

    code = "housing_forbidden"


class InvalidClass(Unprocessable):
    """人才类别 … 无效，应为 A–E"""

    code = "invalid_class"


class NoEmployer(Unprocessable):
    """申请人须在昆山已建档企业就业"""

    code = "no_employer"


class OfferExpired(Conflict):
    """配租通知已过答复期限"""

    code = "offer_expired"


class OfferNotFound(NotFound):
    """配租通知不存在"""

    code = "offer_not_found"


class OfferNotPending(Conflict):
    """配租通知已处理（…）"""

    code = "offer_not_pending"


class ProjectExists(Conflict):
    """项目编号 … 已存在"""

    code = "project_exists"


class ProjectNotFound(NotFound):
    """人才公寓项目 … 不存在"""

    code = "project_not_found"


class UnitNotFound(NotFound):
    """房源不存在"""

    code = "unit_not_found"


class UnitOnOffer(Conflict):
    """该房源已发出配租通知，等待答复"""

    code = "unit_on_offer"
