"""The verified caller, passed from the gateway to services as a short-lived internal token.

The gateway authenticates partners (signatures) and staff (OIDC tokens), then mints an HS256 JWT carrying the
principal; services verify it with the shared secret. A raw identity header is never trusted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, Field

from kunruyi_common.errors import (
    InternalTokenExpired,
    InvalidInternalToken,
    MissingCredentials,
    RoleRequired,
    ScopeDenied,
)

INTERNAL_TOKEN_HEADER = "x-kry-principal"
_ISSUER = "kunruyi-gateway"
_AUDIENCE = "kunruyi-services"

# The subject of a company signed in through 苏商通 (the gateway's session for an enterprise user): kind ``public``,
# subject ``enterprise:<USCC>``, target the USCC. A 昆e服 page visitor is ``public`` too, but ``qr:<code id>``: holding
# a printed link is not being the company.
ENTERPRISE_SESSION_PREFIX = "enterprise:"

Role = Literal["officer", "reviewer", "approver", "finance", "broker", "leader", "admin"]
PrincipalKind = Literal["staff", "partner", "public", "service"]


class Principal(BaseModel):
    kind: PrincipalKind
    subject: str
    name: str | None = None
    roles: list[str] = Field(default_factory=list)
    department: str | None = None
    scopes: list[str] = Field(default_factory=list)
    # For public (QR page) callers: the service code's target, e.g. an enterprise USCC.
    target: str | None = None

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def acts_for(self, department: str | None) -> bool:
        """Whether this caller, as staff, acts on a record of ``department``: an admin on every record, other staff
        on their own department's only — a token naming no department on none (nor on a record that has none)."""
        if self.kind != "staff":
            return False
        return "admin" in self.roles or (bool(self.department) and self.department == department)

    @property
    def signed_in_enterprise(self) -> str | None:
        """The USCC of the company this caller is signed in as (苏商通 session), else None."""
        if (
            self.kind == "public"
            and self.target
            and self.subject == f"{ENTERPRISE_SESSION_PREFIX}{self.target}"
        ):
            return self.target
        return None


def mint_internal_token(principal: Principal, secret: str, *, ttl_s: int = 60, now: int | None = None) -> str:
    """The principal as an HS256 JWT for the services (``now``: the issue time in whole seconds, default now)."""
    if now is None:
        now = int(time.time())
    claims = {"iss": _ISSUER, "aud": _AUDIENCE, "iat": now, "exp": now + ttl_s, "p": principal.model_dump()}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_internal_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=_AUDIENCE, issuer=_ISSUER, leeway=5)
    except jwt.ExpiredSignatureError as exc:
        raise InternalTokenExpired("内部令牌已过期") from exc
    except jwt.PyJWTError as exc:
        raise InvalidInternalToken("内部令牌无效") from exc
    return Principal.model_validate(claims["p"])


def _principal_from_request(request: Request) -> Principal | None:
    token = request.headers.get(INTERNAL_TOKEN_HEADER)
    if not token:
        return None
    return verify_internal_token(token, request.app.state.settings.internal_token_secret)


async def optional_principal(request: Request) -> Principal | None:
    return _principal_from_request(request)


async def require_principal(request: Request) -> Principal:
    principal = _principal_from_request(request)
    if principal is None:
        raise MissingCredentials("需要经网关认证的调用方")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting staff holding one of ``roles`` (admins always)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind != "staff" or not principal.has_role(*roles):
            raise RoleRequired(f"需要角色：{'、'.join(roles)}")
        return principal

    # Read by the contract tests, which compare every endpoint's roles with the gateway's access rules.
    dependency.required_roles = roles  # type: ignore[attr-defined]
    return dependency


def require_scope_or_roles(
    scope: str, *roles: str, signed_in_company: bool = False
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Partners with ``scope``, or staff with one of ``roles`` — and with ``signed_in_company`` a company signed in
    through 苏商通 too (the endpoint then answers it about its own records only)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind == "partner" and principal.has_scope(scope):
            return principal
        if principal.kind == "staff" and (not roles or principal.has_role(*roles)):
            return principal
        if signed_in_company and principal.signed_in_enterprise is not None:
            return principal
        raise ScopeDenied(f"需要权限 {scope} 或角色 {'、'.join(roles)}")

    dependency.required_roles = roles  # type: ignore[attr-defined]
    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency
