"""The problems the talent programs answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable

from kunruyi_disbursement.exceptions import Refusal


class ProgramNotFound(NotFound):
    """人才计划不存在"""

    code = "program_not_found"


class ProgramExists(Conflict):
    """人才计划代码已存在"""

    code = "program_exists"


class CallNotFound(NotFound):
    """批次不存在"""

    code = "program_call_not_found"


class CallExists(Conflict):
    """该计划当年已有批次"""

    code = "program_call_exists"


class ProgramApplicationNotFound(NotFound):
    """人才计划申报不存在"""

    code = "program_application_not_found"


class CallNotOpen(Conflict):
    """批次申报窗口未开放或已截止（按北京时间日期），或批次已关闭"""

    code = "call_not_open"


class CallNotClosed(Conflict):
    """批次仍在申报期内，截止后方可遴选"""

    code = "call_not_closed"


class AlreadyApplied(Conflict):
    """该人才（团队）已申报本批次（每批次一次）"""

    code = "already_applied"


class UnknownCategory(Unprocessable):
    """申报类别不在本批次的类别中"""

    code = "unknown_category"


class UnknownFundingLevel(Unprocessable):
    """资助档次不在本批次的档次中"""

    code = "unknown_funding_level"


class OverFundingLevel(Unprocessable):
    """申请资助金额超过所选档次的上限"""

    code = "over_funding_level"


class NotOnPanel(Refusal, Forbidden):
    """评审专家不在本批次评审组中（写入审计日志）"""

    code, title = "not_on_panel", "不是本批次评审专家"


class ConflictOfInterest(Refusal, Conflict):
    """专家已申报与该申报人或其企业存在利益冲突，不能为其打分（写入审计日志）"""

    code, title = "conflict_of_interest", "存在利益冲突，须回避"


class AlreadyScored(Conflict):
    """每位专家对每份申报只打一次分"""

    code = "already_scored"


class ScoredBeforeDeclaring(Conflict):
    """专家已为该申报人或企业打分，不能再申报利益冲突"""

    code = "scored_before_declaring"


class ReviewIncomplete(Conflict):
    """仍有评审专家未打分（回避的除外），评审完成后方可遴选"""

    code = "review_incomplete"


class AlreadySelected(Conflict):
    """本批次已遴选"""

    code = "already_selected"


class NotSelectedYet(Conflict):
    """本批次尚未遴选，不能公示"""

    code = "not_selected_yet"


class NoticeNotPublished(NotFound):
    """本批次的入选名单尚未公示"""

    code = "program_notice_not_published"


class UnknownDepartment(Unprocessable):
    """管理员创建人才计划时须填写主管部门"""

    code = "department_required"


class ApplicantNotEligible(Unprocessable):
    """按批次的申报条件（政策 …）申报人不符合：…"""

    code = "program_applicant_not_eligible"


class ApplicantNotOnFile(Unprocessable):
    """申报人不在人才库（或团队库）中，无法按申报条件计算：先登记档案再申报"""

    code = "program_applicant_not_on_file"


class EligibilityPolicyNotInForce(Conflict):
    """批次的申报条件政策 … 今天不在有效期内（或不适用于此类申报人）：请主管部门修正批次"""

    code = "program_eligibility_policy_not_in_force"
