"""The problems activities answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class ActivityNotFound(NotFound):
    """没有编号为 … 的活动"""

    code = "activity_not_found"


class RegistrationNotFound(NotFound):
    """该活动没有编号为 … 的报名"""

    code = "registration_not_found"


class BadActivityTime(Unprocessable):
    """活动的结束时间不晚于开始时间"""

    code = "bad_activity_time"


class AttendeeRequired(Unprocessable):
    """报名者须为一家企业（统一社会信用代码）或一名人才（人才编号），且只能是其一"""

    code = "attendee_required"


class ActivityFull(Conflict):
    """活动报名人数已满（达到容量）"""

    code = "activity_full"


class AlreadyRegistered(Conflict):
    """同一企业或人才对同一活动只能报名一次"""

    code = "already_registered"


class RegistrationClosed(Conflict):
    """活动已开始，报名已截止"""

    code = "registration_closed"


class ActivityNotOver(Conflict):
    """活动尚未结束，不能登记成果（合作项目数、商洽数）"""

    code = "activity_not_over"


class BadCheckInCode(Unprocessable):
    """签到码无效、不属于该活动或已过期"""

    code = "bad_check_in_code"


class ContactRequired(Unprocessable):
    """未登录报名或签到时没有填写姓名或手机号"""

    code = "contact_required"


class NotRegistered(NotFound):
    """签到者（本人账号，或姓名与手机号）没有报名该活动"""

    code = "not_registered"


class CheckInNotOpen(Conflict):
    """本人签到在活动开始前 2 小时开放，此前扫码"""

    code = "check_in_not_open"


class ActivityFinished(Conflict):
    """活动已结束，不能再签到"""

    code = "activity_finished"


class LeadNotFound(NotFound):
    """该活动没有编号为 … 的线索"""

    code = "lead_not_found"


class ActivityNotStarted(Conflict):
    """活动尚未开始，不能登记在活动上听到的线索"""

    code = "activity_not_started"


class LeadNotConvertible(Conflict):
    """合作、商洽线索本身即成果，不转为工单或技术需求；只有企业或人才的需求线索可以转化"""

    code = "lead_not_convertible"


class LeadAlreadyConverted(Conflict):
    """该线索已转化（为工单或技术需求），不能再次转化"""

    code = "lead_already_converted"


class LeadNeedsCompany(Unprocessable):
    """转为技术需求的线索须是一家已建档企业的需求；转为工单的线索须是企业或人才的需求"""

    code = "lead_needs_company"


class ConversionFieldRequired(Unprocessable):
    """转为工单须给出诉求类型（type）；转为技术需求须给出产业链、技术领域和需求类型"""

    code = "conversion_field_required"
