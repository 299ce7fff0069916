"""The problems applications answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable


class AmountNotComputable(Unprocessable):
    """政策计算器在 … 没有适用于该…的政策 …，请填写申请金额 amount_fen"""

    code = "amount_not_computable"


class AmountRequired(Unprocessable):
    """需要申请金额 amount_fen"""

    code = "amount_required"


class ApplicationExists(Conflict):
    """该申报主体本期已申报过此政策"""

    code = "application_exists"


class ApplicationNotFound(NotFound):
    """申报不存在"""

    code = "application_not_found"


class AttachmentStoreUnavailable(ServiceUnavailable):
    """附件存储不可用：…"""

    code = "attachment_store_unavailable"


class DisbursementExists(Conflict):
    """该主体本期已有此政策的拨付记录"""

    code = "disbursement_exists"


class InvalidTalentId(Unprocessable):
    """talent_id 应为 UUID"""

    code = "invalid_talent_id"


class NotEligible(Unprocessable):
    """按政策 …（第 … 版）该主体不符合条件：…"""

    code = "not_eligible"


class NotInPublicNotice(Conflict):
    """只有公示期内可以登记异议"""

    code = "not_in_public_notice"


class NoticePeriodRunning(Conflict):
    """公示期至 … 结束，期满后方可审定"""

    code = "notice_period_running"


class PolicyCalculatorUnavailable(ServiceUnavailable):
    """政策计算器暂不可用（…），请稍后重试或填写申请金额 amount_fen"""

    code = "policy_unavailable"


class PolicyNeedsNoApplication(Unprocessable):
    """免申即享政策无需申报"""

    code = "policy_needs_no_application"


class AttachmentNotFound(NotFound):
    """An attachment is read back by an id the application does not have (another application's, or none)."""

    code = "attachment_not_found"
