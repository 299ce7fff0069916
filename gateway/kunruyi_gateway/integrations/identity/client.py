"""The adapter to the province's personal identity service (统一身份认证), an OIDC provider: the authorization URL a
browser is sent to, the code exchange at the token endpoint, and the ID token's checks (RS256/ES256 signature
against the provider's JWKS, issuer, audience, expiry, nonce) before its ``name`` and ``id_number`` are believed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from kunruyi_common.errors import UpstreamUnavailable
from kunruyi_common.validators import is_valid_resident_id

from kunruyi_gateway.integrations.exceptions import IdentitySignInFailed
from kunruyi_gateway.settings import Settings

_ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True)
class IdentityPerson:
    """Who the identity service vouched for. ``id_number`` is personal data: used to find the talent record,
    never shown or logged."""

    subject: str
    name: str
    id_number: str

    def __repr__(self) -> str:  # never print the ID number
        return f"IdentityPerson(subject={self.subject!r}, name={self.name!r})"


class IdentityClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.http = http
        self.base = settings.identity_url.rstrip("/")
        self.public = (settings.identity_public_url or settings.identity_url).rstrip("/")
        self.issuer = (settings.identity_issuer or settings.identity_url).rstrip("/")
        self.client_id = settings.identity_client_id
        self.client_secret = settings.identity_client_secret
        self.timeout_s = settings.identity_timeout_s
        self.cache_ttl_s = settings.identity_jwks_cache_ttl_s
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")

    def authorize_url(self, *, redirect_uri: str, state: str, nonce: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile id_number",
                "state": state,
                "nonce": nonce,
            }
        )
        return f"{self.public}/authorize?{query}"

    async def _jwks(self, kid: str) -> Any | None:
        stale = time.monotonic() - self._fetched_at > self.cache_ttl_s
        # An unknown kid refetches (the provider rotated its key), at most every 30 s.
        if stale or (kid not in self._keys and time.monotonic() - self._fetched_at > 30):
            try:
                resp = await self.http.get(f"{self.base}/jwks", timeout=self.timeout_s)
                resp.raise_for_status()
                keys: dict[str, Any] = {}
                for jwk in resp.json().get("keys", []):
                    if jwk.get("kty") == "RSA":
                        keys[str(jwk.get("kid", ""))] = RSAAlgorithm.from_jwk(json.dumps(jwk))
                    elif jwk.get("kty") == "EC":
                        keys[str(jwk.get("kid", ""))] = ECAlgorithm.from_jwk(json.dumps(jwk))
                self._keys = keys
                self._fetched_at = time.monotonic()
            except (httpx.HTTPError, ValueError) as exc:
                if not self._keys:
                    raise UpstreamUnavailable("统一身份认证暂不可用", headers={"Retry-After": "5"}) from exc
        return self._keys.get(kid)

    async def exchange(self, *, code: str, redirect_uri: str, nonce: str | None) -> IdentityPerson:
        """Redeem an authorization code; the person the verified ID token names."""
        try:
            resp = await self.http.post(
                f"{self.base}/token",
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
                auth=(self.client_id, self.client_secret),
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable("统一身份认证暂不可用", headers={"Retry-After": "5"}) from exc
        if resp.status_code >= 500:
            raise UpstreamUnavailable("统一身份认证暂不可用", headers={"Retry-After": "5"})
        try:
            answer = resp.json()
        except ValueError:
            answer = {}
        if resp.status_code != 200:
            description = answer.get("error_description") if isinstance(answer, dict) else None
            raise IdentitySignInFailed(f"登录凭证无效：{description or '授权码无效或已过期'}，请重新登录")
        return await self.verify_id_token(str(answer.get("id_token", "")), nonce)

    async def verify_id_token(self, id_token: str, nonce: str | None) -> IdentityPerson:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise IdentitySignInFailed("身份令牌格式错误，请重新登录") from exc
        if header.get("alg") not in _ALGORITHMS:
            raise IdentitySignInFailed("身份令牌签名算法不受支持")
        key = await self._jwks(str(header.get("kid", "")))
        if key is None:
            raise IdentitySignInFailed("身份令牌的签名公钥不在认证服务的公钥集中，请重新登录")
        try:
            claims = jwt.decode(
                id_token,
                key,
                algorithms=_ALGORITHMS,
                audience=self.client_id,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise IdentitySignInFailed("身份令牌已过期，请重新登录") from exc
        except jwt.PyJWTError as exc:
            raise IdentitySignInFailed(f"身份令牌校验失败（{type(exc).__name__}），请重新登录") from exc
        if nonce is not None and claims.get("nonce") != nonce:
            raise IdentitySignInFailed("身份令牌与本次登录不符（nonce），请重新登录")
        name = str(claims.get("name") or "").strip()
        id_number = str(claims.get("id_number") or "").strip().upper()
        if not name or not is_valid_resident_id(id_number):
            raise IdentitySignInFailed("认证服务未提供姓名或有效的身份证号")
        return IdentityPerson(subject=str(claims["sub"]), name=name, id_number=id_number)
