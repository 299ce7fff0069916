"""The gate in front of every proxied route and the gateway's own endpoints: who is calling, may they, and
are they within their rate. The result is the principal passed to services as the internal token."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.errors import MissingCredentials, NotOwnEntity, PayloadTooLarge, RoleRequired, ScopeDenied

from kunruyi_gateway.access.exceptions import RouteNotPublic
from kunruyi_gateway.access.limiter import RateLimiter, rate_limited
from kunruyi_gateway.access.rules import (
    READ,
    OwnRule,
    Rule,
    area_of,
    is_public,
    own_rule_for,
    rule_for,
)
from kunruyi_gateway.partners import signature as sig
from kunruyi_gateway.partners.verifier import PartnerVerifier, VerifiedPartner
from kunruyi_gateway.routing.table import upstream_for
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import TALENT_SESSION_PREFIX, StaffTokenVerifier

_TOKEN_CACHE_SIZE = 4096
_PARTNER_HEADERS = (sig.HEADER_APP_KEY, sig.HEADER_SIGNATURE, sig.HEADER_NONCE, sig.HEADER_TIMESTAMP)


class Gate:
    def __init__(
        self, settings: Settings, partners: PartnerVerifier, staff: StaffTokenVerifier, limiter: RateLimiter
    ) -> None:
        self.settings = settings
        self.partners = partners
        self.staff = staff
        self.limiter = limiter
        # The internal token minted for a principal in the current second. A token is the same bytes for the same
        # principal within a second (its claims are the principal, iat and exp in whole seconds), so a caller
        # making many requests a second costs one HMAC-signed JWT a second, not one a request.
        self._tokens: dict[tuple[object, ...], tuple[int, str]] = {}

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

    async def _own_item(self, request: Request, own: OwnRule, principal: Principal, item: str) -> bool:
        """Read the item the path names (as the caller's read identity) and compare its owner field."""
        upstreams = request.app.state.upstreams
        area = area_of(request.url.path)
        name = upstream_for(request.url.path)
        if name is None or own.item_owner is None:
            return False
        reader = (
            _delegated(principal, own.delegate_scope.replace(":write", ":read"))
            if own.delegate_scope
            else principal
        )
        try:
            status, raw = await upstreams.call(
                name, "GET", f"/api/v1/{area}/{quote(item, safe='')}", headers=self.internal_headers(reader)
            )
        except ValueError:
            return False
        if status != 200:
            return False
        try:
            found = json.loads(raw)
        except ValueError:
            return False
        owner = found.get(own.item_owner) if isinstance(found, dict) else None
        return isinstance(owner, str) and owner.upper() == (principal.target or "").upper()

    async def admit_self(
        self, request: Request, principal: Principal, kind: str, rule: Rule | None
    ) -> Principal:
        """A signed-in company or talent: public routes as anyone, its own records (``OWN_RULES``) and nothing
        else. Returns the principal the service is given for this request."""
        path = request.url.path
        query = request.query_params
        public = rule is not None and (rule.public or is_public(rule, path, dict(query)))
        own = own_rule_for(request.method, path, kind)
        rest = [seg for seg in path[len("/api/v1/") :].split("/")[1:] if seg]
        names_owner = own is not None and (
            (own.query_owner is not None and own.query_owner in query) or (own.path_owner and bool(rest))
        )
        if public and not names_owner:
            return principal
        refusal = NotOwnEntity("企业或个人账号只能查看和办理本企业、本人的事项")
        if own is None:
            raise refusal
        subject = (principal.target or "").upper()
        ok = False
        if own.self_scoped:
            ok = True
        elif own.query_owner is not None and own.query_owner in query:
            ok = all(v.upper() == subject for v in query.getlist(own.query_owner))
        elif own.path_owner:
            ok = bool(rest) and rest[0].upper() == subject
        elif not rest and request.method in READ:
            if own.query_owner:
                refusal = NotOwnEntity(
                    f"请带上查询参数 {own.query_owner}=本企业或本人的编号", field=own.query_owner
                )
        elif not rest:
            body = await self._read_body(request)
            try:
                sent = json.loads(body) if body else None
            except ValueError:
                sent = None
            owner = sent.get(own.body_owner) if isinstance(sent, dict) and own.body_owner else None
            ok = isinstance(owner, str) and owner.upper() == subject
        elif own.item_owner:
            ok = await self._own_item(request, own, principal, rest[0])
        if not ok:
            raise refusal
        return _delegated(principal, own.delegate_scope) if own.delegate_scope else principal

    async def admit(self, request: Request, rule: Rule | None) -> Principal | None:
        length = request.headers.get("content-length")
        if length is not None:
            if length.isdigit() and int(length) > self.settings.max_body_bytes:
                raise PayloadTooLarge(f"请求体不能超过 {self.settings.max_body_bytes} 字节")
        elif "chunked" in request.headers.get("transfer-encoding", ""):
            await self._read_body(request)  # no declared length: count what arrives
        principal = await self.identify(request)
        kind = self_kind(principal)
        if principal is not None and kind is not None and request.url.path.startswith("/api/v1/"):
            request.state.forward_principal = await self.admit_self(request, principal, kind, rule)
        else:
            self.authorize(principal, rule, request)
        await self.limit(principal, request)
        return principal

    def internal_headers(self, principal: Principal | None) -> dict[str, str] | None:
        if principal is None:
            return None
        now = int(time.time())
        key = tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in principal.__dict__.items())
        cached = self._tokens.get(key)
        if cached is not None and cached[0] == now:
            return {INTERNAL_TOKEN_HEADER: cached[1]}
        token = mint_internal_token(
            principal, self.settings.internal_token_secret, ttl_s=self.settings.internal_token_ttl_s, now=now
        )
        if len(self._tokens) >= _TOKEN_CACHE_SIZE:
            self._tokens.clear()
        self._tokens[key] = (now, token)
        return {INTERNAL_TOKEN_HEADER: token}


def self_kind(principal: Principal | None) -> str | None:
    """``company`` or ``talent`` for a signed-in company or talent (a web session's or bearer token's principal)."""
    if principal is None or principal.kind != "public" or not principal.target:
        return None
    if principal.signed_in_enterprise:
        return "company"
    if principal.subject == f"{TALENT_SESSION_PREFIX}{principal.target}":
        return "talent"
    return None


def _delegated(principal: Principal, scope: str) -> Principal:
    """The identity a service that knows only partners and staff gets for a company's or talent's own request the
    gate has already checked: a partner holding ``scope``, named after the caller."""
    return Principal(kind="partner", subject=f"self:{principal.subject}", name=principal.name, scopes=[scope])


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
