"""The problems the funding agreements answer with (rendered into docs/errors.md). Every refusal where money is at
stake (a tranche released before its milestone, twice, above the agreement, while paused or ended) is a
:class:`Refusal`: answered as its problem, nothing paid, and written to the hash-chained audit log."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable

from kunruyi_disbursement.exceptions import Refusal


class AgreementNotFound(NotFound):
    """资助协议不存在"""

    code = "funding_agreement_not_found"


class TrancheNotFound(NotFound):
    """资助协议中没有该期次"""

    code = "tranche_not_found"


class AgreementExists(Conflict):
    """该入选申报已签资助协议（每份入选申报一份协议）"""

    code = "funding_agreement_exists"


class ApplicationNotSelected(Conflict):
    """申报未入选，不能签资助协议"""

    code = "application_not_selected"


class TranchesOverFundingLevel(Unprocessable):
    """资助协议总额超过所入选资助档次的上限"""

    code = "agreement_over_funding_level"


class RegistrationTrancheRequired(Unprocessable):
    """未落地先评审：申报时尚未在昆山注册企业，协议须以“企业在昆山注册”为里程碑的一期"""

    code = "registration_tranche_required"


class MilestoneTargetRequired(Unprocessable):
    """用工人数里程碑须填目标人数 target，年度考核里程碑须填考核年度 assessment_year"""

    code = "milestone_target_required"


class CompanyUsccRequired(Unprocessable):
    """确认“企业在昆山注册”里程碑时，未登记企业的协议须填企业统一社会信用代码"""

    code = "company_uscc_required"


class MilestoneByAssessment(Conflict):
    """“年度考核通过”里程碑只能由录入通过的绩效评估确认"""

    code = "milestone_by_assessment"


class MilestoneAlreadyConfirmed(Conflict):
    """该期次的里程碑已确认"""

    code = "milestone_already_confirmed"


class NotLanded(Refusal, Conflict):
    """未落地先评审：企业在昆山注册的里程碑确认之前，其他里程碑不能确认、其他期次不能拨付（写入审计日志）"""

    code, title = "company_not_registered", "企业尚未在昆山落地"


class MilestoneNotConfirmed(Refusal, Conflict):
    """期次的里程碑尚未确认，不能拨付（写入审计日志）"""

    code, title = "milestone_not_confirmed", "里程碑尚未确认"


class TrancheAlreadyReleased(Refusal, Conflict):
    """该期次已拨付，不能再拨（写入审计日志；带同一 Idempotency-Key 的重试返回首次结果）"""

    code, title = "tranche_already_released", "该期次已拨付"


class OverAgreementTotal(Refusal, Unprocessable):
    """拨付金额超过该期次金额或协议剩余额度（写入审计日志）"""

    code, title = "over_agreement_total", "超过资助协议额度"


class AgreementPaused(Refusal, Conflict):
    """年度绩效评估未通过，协议已暂停，剩余期次暂停拨付（写入审计日志）"""

    code, title = "agreement_paused", "资助协议已暂停"


class AgreementEnded(Refusal, Conflict):
    """协议已终止（绩效评估未通过）或已全部拨付，剩余期次不再拨付（写入审计日志）"""

    code, title = "agreement_ended", "资助协议已终止"


class AssessmentExists(Conflict):
    """该协议该年度已有绩效评估结果（每年一次）"""

    code = "assessment_exists"


class FailExplanationRequired(Unprocessable):
    """绩效评估不通过时须填写原因 reason 与处理方式 consequence（pause 暂停或 terminate 终止）"""

    code = "assessment_fail_unexplained"


class NoticePeriodNotOver(Conflict):
    """入选名单尚未公示或公示期未结束（按北京时间日期），不能签资助协议"""

    code = "notice_period_not_over"


class OpenObjection(Conflict):
    """该入选申报有未处理的公示异议，处理完毕后方可签资助协议"""

    code = "open_objection"


class AcceptanceExists(Conflict):
    """该资助协议已验收（每份协议验收一次）"""

    code = "acceptance_exists"


class AcceptanceNotDue(Conflict):
    """资助协议已暂停或已终止，不能验收"""

    code = "acceptance_not_due"


class AcceptanceResultInvalid(Unprocessable):
    """常规验收须填写结果 result（不通过须填写说明 note）；绿色通道验收即为通过，不能填不通过"""

    code = "acceptance_result_invalid"


class GreenChannelNotReached(Conflict):
    """企业在计划期内未获得高企、专精特新、瞪羚、独角兽培育或规上资质，不能走验收绿色通道"""

    code = "green_channel_not_reached"
