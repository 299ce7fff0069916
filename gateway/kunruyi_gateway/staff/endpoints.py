from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kunruyi_gateway.staff.schemas import KeySet

router = APIRouter(tags=["工作人员登录 staff"])


@router.get("/.well-known/jwks.json", summary="网关签发方（开发令牌、单点登录会话）的公钥")
async def jwks(request: Request) -> KeySet:
    keys: dict[str, Any] = request.app.state.gateway_issuer.jwks()
    return KeySet.model_validate(keys)
