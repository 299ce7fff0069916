"""The console's OIDC client: authorization code with PKCE against the city's staff identity provider.

Sign-in: ``begin`` makes a state, a nonce and a PKCE verifier, keeps them in a short-lived HttpOnly cookie signed
with a key derived from the internal token secret (so nothing is stored before the user signs in), and gives the
IdP's authorize URL. ``finish`` checks the state against that cookie, redeems the code on the back channel, and
verifies the ID token (signature from the IdP's JWKS, issuer, audience = our client id, expiry, nonce).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from kunruyi_gateway.console.exceptions import SignInFailed
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import ROLES

FLOW_COOKIE = "kry_console_oidc"
FLOW_TTL_S = 600
CALLBACK_PATH = "/console/auth/callback"


@dataclass(frozen=True)
class StaffIdentity:
    subject: str
    name: str | None
    roles: list[str]
    department: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flow_key(settings: Settings) -> bytes:
    return hashlib.sha256(f"{settings.internal_token_secret}:console-oidc-flow".encode()).digest()


def seal(settings: Settings, flow: dict[str, Any]) -> str:
    body = _b64(json.dumps(flow, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(_flow_key(settings), body.encode(), hashlib.sha256).digest())}"


def unseal(settings: Settings, value: str | None) -> dict[str, Any] | None:
    if not value or "." not in value or len(value) > 2000:
        return None
    body, tag = value.rsplit(".", 1)
    expected = _b64(hmac.new(_flow_key(settings), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, tag):
        return None
    try:
        flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return flow if flow.get("exp", 0) > time.time() else None


def public_url(settings: Settings) -> str:
    return (settings.staff_idp_public_url or settings.staff_idp_url).rstrip("/")


def begin(settings: Settings, redirect_uri: str, next_path: str) -> tuple[str, str]:
    """The IdP's authorize URL and the sealed flow cookie's value."""
    verifier = secrets.token_urlsafe(48)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "next": next_path,
        "exp": int(time.time()) + FLOW_TTL_S,
    }
    query = {
        "response_type": "code",
        "client_id": settings.staff_idp_client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    return f"{public_url(settings)}/authorize?{urlencode(query)}", seal(settings, flow)


class JwksCache:
    def __init__(self, ttl_s: float = 600.0) -> None:
        self.ttl_s = ttl_s
        self.keys: dict[str, Any] = {}
        self.fetched_at = float("-inf")

    async def key(self, http: httpx.AsyncClient, settings: Settings, kid: str) -> Any | None:
        stale = time.monotonic() - self.fetched_at > self.ttl_s
        if stale or (kid not in self.keys and time.monotonic() - self.fetched_at > 30):
            resp = await http.get(
                f"{settings.staff_idp_url.rstrip('/')}/jwks", timeout=settings.staff_idp_timeout_s
            )
            resp.raise_for_status()
            keys: dict[str, Any] = {}
            for jwk in resp.json().get("keys", []):
                if jwk.get("kty") == "RSA":
                    keys[jwk.get("kid", "")] = RSAAlgorithm.from_jwk(json.dumps(jwk))
                elif jwk.get("kty") == "EC":
                    keys[jwk.get("kid", "")] = ECAlgorithm.from_jwk(json.dumps(jwk))
            self.keys, self.fetched_at = keys, time.monotonic()
        return self.keys.get(kid)


async def finish(
    settings: Settings,
    http: httpx.AsyncClient,
    jwks: JwksCache,
    flow: dict[str, Any] | None,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    redirect_uri: str,
) -> StaffIdentity:
    if error:
        raise SignInFailed(f"统一身份认证未完成登录（{error}）")
    if flow is None:
        raise SignInFailed("登录请求已过期或不是从本站发起，请重新登录")
    if not code or not state or not hmac.compare_digest(str(flow.get("state")), state):
        raise SignInFailed("登录回调的 state 不匹配，请重新登录")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": settings.staff_idp_client_id,
        "code_verifier": str(flow.get("verifier", "")),
    }
    if settings.staff_idp_client_secret:
        form["client_secret"] = settings.staff_idp_client_secret
    try:
        resp = await http.post(
            f"{settings.staff_idp_url.rstrip('/')}/token", data=form, timeout=settings.staff_idp_timeout_s
        )
        answer = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInFailed("统一身份认证服务暂不可用，请稍后再试") from exc
    if resp.status_code != 200 or not isinstance(answer, dict) or "id_token" not in answer:
        detail = answer.get("error_description") if isinstance(answer, dict) else None
        raise SignInFailed(f"统一身份认证拒绝了登录：{detail or resp.status_code}")
    token = str(answer["id_token"])
    try:
        header = jwt.get_unverified_header(token)
        key = await jwks.key(http, settings, str(header.get("kid", "")))
    except (jwt.PyJWTError, httpx.HTTPError, ValueError) as exc:
        raise SignInFailed("身份令牌无法校验") from exc
    if key is None:
        raise SignInFailed("找不到身份令牌的签名公钥")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256", "ES256"],
            audience=settings.staff_idp_client_id,
            issuer=settings.staff_idp_issuer or public_url(settings),
            leeway=30,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInFailed(f"身份令牌校验失败：{type(exc).__name__}") from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), str(flow.get("nonce", ""))):
        raise SignInFailed("身份令牌的 nonce 不匹配，请重新登录")
    roles = [r for r in claims.get("roles", []) if r in ROLES]
    if not roles:
        raise SignInFailed("该账号没有工作台角色（窗口经办、审核、审定、财务、技术经纪人、管理员）")
    return StaffIdentity(
        subject=str(claims["sub"]),
        name=claims.get("name"),
        roles=roles,
        department=claims.get("department") or None,
    )
