"""The problems campaigns answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class CampaignNotFound(NotFound):
    """没有编号为 … 的专项服务活动"""

    code = "campaign_not_found"


class CampaignExists(Conflict):
    """编号 … 的专项服务活动已存在"""

    code = "campaign_exists"


class BadCampaignPeriod(Unprocessable):
    """专项服务活动的结束日期早于开始日期"""

    code = "bad_campaign_period"


class MemberInTwoTeams(Unprocessable):
    """同一专项服务活动中，一名队员只能属于一支服务队"""

    code = "member_in_two_teams"


class DuplicateTeam(Unprocessable):
    """同一专项服务活动中服务队名称重复"""

    code = "duplicate_team"


class UnknownTeam(Unprocessable):
    """服务队 … 不属于该专项服务活动"""

    code = "unknown_team"


class VisitOutsidePeriod(Unprocessable):
    """走访日期不在专项服务活动的期间内"""

    code = "visit_outside_period"


class VisitTargetRequired(Unprocessable):
    """走访对象须为一家企业（统一社会信用代码）或一名人才（人才编号），且只能是其一"""

    code = "visit_target_required"


class EnterpriseNotRegistered(Unprocessable):
    """走访的企业不在企业库（一企一档）中；先建档（POST /api/v1/enterprises）再登记走访"""

    code = "enterprise_not_registered"


class VisitSheetInvalid(Unprocessable):
    """走访表有错误行，整张表未导入（先用 dry_run 查看逐行错误）"""

    code = "visit_sheet_invalid"
