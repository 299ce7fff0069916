"""Staff bearer tokens: OIDC-style JWTs (RS256 / ES256) checked against a JWKS, plus the gateway's own issuer.

The gateway's issuer (an ES256 key pair) signs the session tokens handed out by 苏商通 SSO and the personal sign-in,
and development tokens (``python -m kunruyi_gateway token``, accepted only in dev mode). Every replica must sign
with the same key, or a session begun on one is refused by the next: the key is derived from the secret
``session_signing_key`` (compose gives it to every replica). Only in development mode, without that secret, is it a
key pair created on first use under ``dev_issuer_dir`` (shared by the processes of one checkout).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from kunruyi_common.auth import ENTERPRISE_SESSION_PREFIX, Principal
from kunruyi_common.crypto import decode_key
from kunruyi_common.settings import DevelopmentSecretError

from kunruyi_gateway.staff.exceptions import InvalidToken, TokenExpired, TokenRevoked

if TYPE_CHECKING:
    from kunruyi_gateway.settings import Settings

# ``leader`` (领导): reads the cockpit, the indicators and the reports; writes nothing, sees no personal data.
ROLES: tuple[str, ...] = ("officer", "reviewer", "approver", "finance", "broker", "leader", "admin")
SESSION_ISSUER = "kunruyi-gateway"
# The subject prefix of a talent signed in through 统一身份认证 (kind ``public``, target the talent id).
TALENT_SESSION_PREFIX = "talent:"
_ALGORITHMS = ["RS256", "ES256"]
# Domain separation: the session-signing secret's bytes become an EC key only through this context.
_SESSION_KEY_CONTEXT = b"kunruyi-gateway-session-es256:"


class GatewayIssuer:
    """An ES256 key pair: from the session-signing secret, or (development) from a file made on first use."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self.key = key
        public_der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(public_der).hexdigest()[:16]

    @classmethod
    def for_settings(cls, settings: Settings) -> GatewayIssuer:
        """The replicas' shared key from ``session_signing_key``; without it, development mode's key file (outside
        development mode the settings check has refused to start already — refused here too)."""
        if settings.session_signing_key.strip():
            return cls.from_secret(settings.session_signing_key)
        if not settings.dev_mode:
            raise DevelopmentSecretError([f"{settings.env_prefix()}SESSION_SIGNING_KEY".upper()])
        return cls.in_directory(settings.dev_issuer_dir)

    @classmethod
    def from_secret(cls, secret_b64: str) -> GatewayIssuer:
        """The key derived from 32 random bytes (base64): the same on every replica given the same secret."""
        seed = decode_key(secret_b64)
        order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # of P-256's base point
        scalar = int.from_bytes(hashlib.sha512(_SESSION_KEY_CONTEXT + seed).digest(), "big") % (order - 1) + 1
        return cls(ec.derive_private_key(scalar, ec.SECP256R1()))

    @classmethod
    def in_directory(cls, directory: Path) -> GatewayIssuer:
        """Development: a key pair created on first use; concurrent first uses agree on one file (atomic link)."""
        return cls(cls._load_or_create(directory / "es256.pem"))

    @staticmethod
    def _load_or_create(path: Path) -> ec.EllipticCurvePrivateKey:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
            tmp.write_bytes(pem)
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return loaded

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "ES256"})
        return {"keys": [jwk]}

    def mint(self, *, issuer: str, audience: str, subject: str, ttl_s: int, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            # every token can be told apart, so its holder can sign it out (staff/revocation.py)
            "jti": uuid.uuid4().hex,
            "iss": issuer,
            "aud": audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="ES256", headers={"kid": self.kid})


def _keys_from_jwks(jwks: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for jwk in jwks.get("keys", []):
        kty = jwk.get("kty")
        kid = jwk.get("kid", "")
        if kty == "EC":
            keys[kid] = ECAlgorithm.from_jwk(json.dumps(jwk))
        elif kty == "RSA":
            keys[kid] = RSAAlgorithm.from_jwk(json.dumps(jwk))
    return keys


class StaffTokenVerifier:
    def __init__(
        self,
        *,
        issuer: GatewayIssuer,
        audience: str,
        oidc_issuer: str | None,
        jwks_url: str | None,
        jwks_inline: str | None,
        dev_mode: bool,
        dev_issuer: str,
        cache_ttl_s: float,
        http: httpx.AsyncClient | None = None,
        is_revoked: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.is_revoked = is_revoked
        self.gateway_issuer = issuer
        self.audience = audience
        self.oidc_issuer = oidc_issuer
        self.jwks_url = jwks_url
        self.dev_mode = dev_mode
        self.dev_issuer = dev_issuer
        self.cache_ttl_s = cache_ttl_s
        self.http = http
        self._own_keys = _keys_from_jwks(issuer.jwks())
        self._inline_keys = _keys_from_jwks(json.loads(jwks_inline)) if jwks_inline else {}
        self._remote_keys: dict[str, Any] = {}
        self._remote_fetched_at = float("-inf")

    def _trusted_issuers(self) -> set[str]:
        issuers = {SESSION_ISSUER}
        if self.oidc_issuer:
            issuers.add(self.oidc_issuer)
        if self.dev_mode:
            issuers.add(self.dev_issuer)
        return issuers

    async def _remote(self, kid: str, *, force: bool = False) -> Any | None:
        if not self.jwks_url or self.http is None:
            return None
        stale = time.monotonic() - self._remote_fetched_at > self.cache_ttl_s
        # An unknown kid refetches (the IdP rotated keys), but at most every 30 s so junk tokens can't hammer it.
        if stale or (force and time.monotonic() - self._remote_fetched_at > 30):
            try:
                resp = await self.http.get(self.jwks_url, timeout=5.0)
                resp.raise_for_status()
                self._remote_keys = _keys_from_jwks(resp.json())
                self._remote_fetched_at = time.monotonic()
            except (httpx.HTTPError, ValueError):
                pass
        return self._remote_keys.get(kid)

    async def _key_for(self, issuer: str, kid: str) -> Any | None:
        if issuer in (SESSION_ISSUER, self.dev_issuer) and issuer != self.oidc_issuer:
            return self._own_keys.get(kid)
        key = self._inline_keys.get(kid) or await self._remote(kid)
        if key is None:
            key = await self._remote(kid, force=True)
        return key

    async def verify(self, token: str) -> Principal:
        return principal_of(await self.verify_claims(token))

    async def verify_claims(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and expiry check out — and, for a session the
        gateway issued, once it is known not to have been signed out."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken("令牌格式错误") from exc
        if header.get("alg") not in _ALGORITHMS:
            raise InvalidToken("令牌签名算法须为 RS256 或 ES256")
        issuer = str(unverified.get("iss", ""))
        if issuer not in self._trusted_issuers():
            raise InvalidToken("令牌签发方不受信任")
        key = await self._key_for(issuer, str(header.get("kid", "")))
        if key is None:
            raise InvalidToken("找不到令牌的签名公钥（kid）")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                audience=self.audience,
                issuer=issuer,
                leeway=30,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("令牌已过期") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"令牌校验失败：{type(exc).__name__}") from exc
        jti = claims.get("jti")
        if issuer == SESSION_ISSUER and self.is_revoked is not None and isinstance(jti, str):
            if await self.is_revoked(jti):
                raise TokenRevoked("该会话令牌已注销，请重新登录")
        return dict(claims)


def principal_of(claims: dict[str, Any]) -> Principal:
    """The caller a verified token's claims name."""
    if claims.get("kind") == "enterprise":
        uscc = str(claims.get("uscc", ""))
        return Principal(
            kind="public",
            subject=f"{ENTERPRISE_SESSION_PREFIX}{uscc}",
            name=claims.get("name"),
            target=uscc,
        )
    if claims.get("kind") == "talent" and str(claims.get("iss")) == SESSION_ISSUER:
        talent_id = str(claims.get("talent_id", ""))
        return Principal(
            kind="public",
            subject=f"{TALENT_SESSION_PREFIX}{talent_id}",
            name=claims.get("name"),
            target=talent_id,
        )
    roles = [r for r in claims.get("roles", []) if r in ROLES]
    return Principal(
        kind="staff",
        subject=str(claims["sub"]),
        name=claims.get("name"),
        roles=roles,
        department=claims.get("department") or claims.get("dept"),
    )
