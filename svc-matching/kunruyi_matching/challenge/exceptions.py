"""The problems challenge answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class AlreadyApplied(Conflict):
    """团队“…”已揭榜"""

    code = "already_applied"


class AlreadyScored(Conflict):
    """该评审已为此申请打分"""

    code = "already_scored"


class ApplicationNotFound(NotFound):
    """揭榜申请 … 不存在"""

    code = "application_not_found"


class ApplicationNotScored(Unprocessable):
    """未经评审打分的申请不能确定为揭榜方"""

    code = "application_not_scored"


class ChallengeClosed(Conflict):
    """揭榜已截止"""

    code = "challenge_closed"


class ChallengeNotFound(NotFound):
    """榜单 … 不存在"""

    code = "challenge_not_found"


class NotYourScore(Forbidden):
    """评审专家只能以本人名义打分"""

    code = "not_your_score"


class OwnApplication(Forbidden):
    """评审专家不能为本人提交的揭榜申请打分"""

    code = "own_application"


class ReviewerRequired(Unprocessable):
    """工作人员代录评审分数时须填写评审专家（reviewer）"""

    code = "reviewer_required"
