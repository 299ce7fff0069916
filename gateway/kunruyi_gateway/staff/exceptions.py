"""The problems staff token verification answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unauthorized


class InvalidToken(Unauthorized):
    """A staff Bearer token is malformed, signed with another algorithm or an unknown key, from an untrusted
    issuer, or otherwise fails verification."""

    code, title = "invalid_token", "令牌无效"


class TokenExpired(Unauthorized):
    """A staff Bearer token has expired; sign in again."""

    code, title = "token_expired", "令牌已过期"


class TokenRevoked(Unauthorized):
    """A session token was signed out (``POST /integrations/session/revoke``) before it expired; sign in again."""

    code, title = "token_revoked", "令牌已注销"
