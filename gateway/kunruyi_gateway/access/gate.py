"""The gate in front of every proxied route and the gateway's own endpoints: who is calling, may they, and
are they within their rate. The result is the principal passed to services as the internal token."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.errors import MissingCredentials, PayloadTooLarge, RoleRequired, ScopeDenied

from kunruyi_gateway.access.exceptions import RouteNotPublic
from kunruyi_gateway.access.limiter import RateLimiter, rate_limited
from kunruyi_gateway.access.rules import Rule, is_public, is_signed_in_person, rule_for
from kunruyi_gateway.partners import signature as sig
from kunruyi_gateway.partners.verifier import PartnerVerifier, VerifiedPartner
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import StaffTokenVerifier

_PARTNER_HEADERS = (sig.HEADER_APP_KEY, sig.HEADER_SIGNATURE, sig.HEADER_NONCE, sig.HEADER_TIMESTAMP)


class Gate:
    def __init__(
        self, settings: Settings, partners: PartnerVerifier, staff: StaffTokenVerifier, limiter: RateLimiter
    ) -> None:
        self.settings = settings
        self.partners = partners
        self.staff = staff
        self.limiter = limiter

    async def _read_body(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_body_bytes:
            raise PayloadTooLarge(f"请求体不能超过 {self.settings.max_body_bytes} 字节")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                raise PayloadTooLarge(f"请求体不能超过 {self.settings.max_body_bytes} 字节")
            chunks.append(chunk)
        body = b"".join(chunks)
        # Starlette replays a cached body to later readers (the proxy streams it on).
        request._body = body
        return body

    async def identify(self, request: Request) -> Principal | None:
        headers = request.headers
        if any(h in headers for h in _PARTNER_HEADERS):
            body = await self._read_body(request)
            partner = await self.partners.verify(
                method=request.method,
                path=path_as_sent(request),
                raw_query=request.scope["query_string"].decode("latin-1"),
                headers=headers,
                body=body,
            )
            request.state.partner = partner
            return partner.principal()
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise MissingCredentials("Authorization 须为 Bearer 令牌")
            return await self.staff.verify(token.strip())
        return None

    def authorize(self, principal: Principal | None, rule: Rule | None, request: Request) -> None:
        if rule is None:
            # No rule: the gateway has no opinion on who may call; only verified staff admins pass.
            if principal is None or principal.kind != "staff" or "admin" not in principal.roles:
                raise RouteNotPublic("该接口未对外开放")
            return
        if principal is None or principal.kind == "public":
            if rule.public or is_public(rule, request.url.path, dict(request.query_params)):
                return
            if rule.signed_in and is_signed_in_person(principal):
                return
            raise MissingCredentials(
                "需要签名（合作方）或 Bearer 令牌（工作人员）",
            )
        if principal.kind == "partner":
            if rule.scope is not None and principal.has_scope(rule.scope):
                return
            if rule.public or is_public(rule, request.url.path, dict(request.query_params)):
                return
            raise ScopeDenied(
                f"该 AppKey 没有访问此接口所需的权限范围 {rule.scope or '（不对合作方开放）'}",
                required_scope=rule.scope,
            )
        if principal.has_role(*rule.roles):
            return
        if is_public(rule, request.url.path, dict(request.query_params)):
            return
        raise RoleRequired(
            f"需要角色：{'、'.join(rule.roles) or 'admin'}",
            required_roles=list(rule.roles) or ["admin"],
        )

    async def limit(self, principal: Principal | None, request: Request) -> None:
        if principal is not None and principal.kind == "partner":
            # Counted in PostgreSQL with the nonce claim (one window per key shared by every replica).
            partner: VerifiedPartner | None = getattr(request.state, "partner", None)
            if partner is not None and partner.over_rate:
                ends = partner.window_ends_at
                left = (ends - datetime.now(UTC)).total_seconds() if ends is not None else 1.0
                raise rate_limited(partner.rate, max(1, math.ceil(left)))
        elif principal is not None and principal.kind == "staff":
            await self.limiter.hit(self.settings.staff_rate, "staff", principal.subject)
        else:
            await self.limiter.hit(self.settings.public_rate, "public", client_address(request))

    async def admit(self, request: Request, rule: Rule | None) -> Principal | None:
        length = request.headers.get("content-length")
        if length is not None:
            if length.isdigit() and int(length) > self.settings.max_body_bytes:
                raise PayloadTooLarge(f"请求体不能超过 {self.settings.max_body_bytes} 字节")
        elif "chunked" in request.headers.get("transfer-encoding", ""):
            await self._read_body(request)  # no declared length: count what arrives
        principal = await self.identify(request)
        self.authorize(principal, rule, request)
        await self.limit(principal, request)
        return principal

    def internal_headers(self, principal: Principal | None) -> dict[str, str] | None:
        if principal is None:
            return None
        token = mint_internal_token(
            principal, self.settings.internal_token_secret, ttl_s=self.settings.internal_token_ttl_s
        )
        return {INTERNAL_TOKEN_HEADER: token}


def path_as_sent(request: Request) -> str:
    """The request path exactly as it came on the wire (percent-escapes kept, no query): what partners sign.

    ``request.url.path`` is percent-decoded, so ``/x/%E9%9B%86`` would read ``/x/集`` and a partner who signed the
    path as sent (the contract) would be refused."""
    raw: bytes | None = request.scope.get("raw_path")
    if raw:
        return raw.partition(b"?")[0].decode("latin-1")
    return str(request.scope.get("root_path", "")) + str(request.scope["path"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_gate(request: Request) -> Gate:
    gate: Gate = request.app.state.gate
    return gate


async def _admitted(request: Request) -> Principal | None:
    gate = get_gate(request)
    return await gate.admit(request, rule_for(request.method, request.url.path))


async def _staff_admitted(request: Request) -> Principal:
    principal = await _admitted(request)
    if principal is None or principal.kind != "staff":
        raise MissingCredentials("需要工作人员令牌")
    return principal


AdmittedCaller = Annotated[Principal | None, Depends(_admitted)]
StaffCaller = Annotated[Principal, Depends(_staff_admitted)]
