"""苏商通 single sign-on: a ticket from 苏商通 is exchanged for a gateway session token (staff or enterprise)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from kunruyi_common.errors import UpstreamUnavailable
from kunruyi_common.openapi import problem_responses
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_gateway.integrations.exceptions import InvalidSsoTicket
from kunruyi_gateway.integrations.yiqilaiban.client import PortalError
from kunruyi_gateway.integrations.yiqilaiban.endpoints import portal_client
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import ROLES, SESSION_ISSUER

router = APIRouter(tags=["苏商通 sushangtong"])
SESSION_TTL_S = 8 * 3600


class SsoIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ticket": "ST-2f9c1a7e5b8d4c3a"}]})

    ticket: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_in: int
    user_type: str
    subject: str
    name: str | None = None
    roles: list[str] = []
    department: str | None = None
    uscc: str | None = None


@router.post(
    "/integrations/sushangtong/sso", summary="用苏商通票据换取会话令牌", responses=problem_responses(401)
)
async def sso(body: SsoIn, request: Request) -> SessionOut:
    settings: Settings = request.app.state.settings
    try:
        answer = await portal_client(request).verify_sso_ticket(body.ticket)
    except PortalError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            raise InvalidSsoTicket("苏商通票据无效或已使用") from None
        raise UpstreamUnavailable("苏商通暂不可用", headers={"Retry-After": "5"}) from None
    user: dict[str, Any] = answer.get("user") or {}
    issuer = request.app.state.gateway_issuer
    if user.get("user_type") == "staff":
        roles = [r for r in user.get("roles", []) if r in ROLES]
        token = issuer.mint(
            issuer=SESSION_ISSUER,
            audience=settings.oidc_audience,
            subject=f"sst:{user['subject']}",
            ttl_s=SESSION_TTL_S,
            name=user.get("name"),
            roles=roles,
            department=user.get("department"),
            amr=["sushangtong"],
        )
        return SessionOut(
            token=token,
            expires_in=SESSION_TTL_S,
            user_type="staff",
            subject=f"sst:{user['subject']}",
            name=user.get("name"),
            roles=roles,
            department=user.get("department"),
        )
    if user.get("user_type") == "enterprise" and user.get("uscc"):
        token = issuer.mint(
            issuer=SESSION_ISSUER,
            audience=settings.oidc_audience,
            subject=f"sst:{user['subject']}",
            ttl_s=SESSION_TTL_S,
            name=user.get("name"),
            kind="enterprise",
            uscc=user["uscc"],
            amr=["sushangtong"],
        )
        return SessionOut(
            token=token,
            expires_in=SESSION_TTL_S,
            user_type="enterprise",
            subject=f"sst:{user['subject']}",
            name=user.get("name"),
            uscc=user["uscc"],
        )
    raise InvalidSsoTicket("苏商通用户类型不受支持")
