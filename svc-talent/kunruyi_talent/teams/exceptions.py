"""The problems teams answer with (rendered into docs/errors.md). An unknown member is ``unknown_talent``
(kunruyi_talent.exceptions) and a bad company code ``invalid_uscc`` (the common kit), naming the field."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, Unprocessable


class TeamNotFound(NotFound):
    """没有编号为 … 的团队"""

    code = "team_not_found"


class LeadNotMember(Unprocessable):
    """团队带头人不在成员名单中"""

    code = "lead_not_member"


class DuplicateTeamMember(Unprocessable):
    """同一人才在团队成员名单中出现不止一次"""

    code = "duplicate_team_member"


class TeamLeadConflict(Unprocessable):
    """成员名单中标为带头人（lead）的人不是 lead_talent_id：一个团队只有一位带头人"""

    code = "team_lead_conflict"
