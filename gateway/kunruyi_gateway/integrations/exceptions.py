"""The problems integrations answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, ProblemError, Unauthorized


class ApplicationRejected(ProblemError):
    """svc-disbursement refused an application relayed from 一企来办 without a problem body; the status is its own."""

    status, code, title = 422, "application_rejected", "申报被拒绝"


class EnterpriseNotFound(NotFound):
    """省平台未查询到该企业"""

    code = "enterprise_not_found"


class InvalidSsoTicket(Unauthorized):
    """苏商通用户类型不受支持"""

    code, title = "invalid_sso_ticket", "单点登录失败"
