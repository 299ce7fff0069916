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


class IdentitySignInFailed(Unauthorized):
    """The personal identity service did not vouch for the person: the authorization code was invalid, used or
    expired, the sign-in was cancelled, or the ID token failed its checks (signature, issuer, audience, expiry,
    nonce, missing name or ID number)."""

    code, title = "identity_sign_in_failed", "统一身份认证登录失败"


class TalentNotRegistered(NotFound):
    """A person signed in through the identity service has no talent record in svc-talent."""

    code, title = "talent_not_registered", "未找到人才档案"
