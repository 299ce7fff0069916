from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from kunruyi_common.errors import MissingCredentials
from kunruyi_common.openapi import problem_responses

from kunruyi_gateway.staff.exceptions import InvalidToken
from kunruyi_gateway.staff.schemas import KeySet, RevokedSession
from kunruyi_gateway.staff.tokens import SESSION_ISSUER

router = APIRouter(tags=["工作人员登录 staff"])


@router.get("/.well-known/jwks.json", summary="网关签发方（开发令牌、单点登录会话）的公钥")
async def jwks(request: Request) -> KeySet:
    keys: dict[str, Any] = request.app.state.gateway_issuer.jwks()
    return KeySet.model_validate(keys)


@router.post(
    "/integrations/session/revoke",
    summary="注销会话令牌（苏商通、统一身份认证登录换得的 API 令牌）：此后该令牌一律 401 token_revoked",
    responses=problem_responses(401),
)
async def revoke_session(request: Request) -> RevokedSession:
    """Sign-out for apps: the bearer token of this request (one the gateway issued at sign-in) stops working on
    every replica at once, before it expires. Staff tokens from the city's identity provider end at the provider."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingCredentials("需要要注销的会话令牌（Authorization: Bearer …）")
    claims = await request.app.state.gate.staff.verify_claims(token.strip())
    if claims.get("iss") != SESSION_ISSUER or not isinstance(claims.get("jti"), str):
        raise InvalidToken("只能注销网关签发的会话令牌；身份提供方的令牌在提供方注销")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    await request.app.state.token_revocations.revoke(claims["jti"], str(claims["sub"]), expires_at)
    return RevokedSession(revoked=True, subject=str(claims["sub"]), expires_at=expires_at.isoformat())
