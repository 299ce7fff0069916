"""Verifies a signed partner request: key, clock window, signature, then the nonce (shared in PostgreSQL).

The hot path touches the database once per batch of concurrent requests (the nonce claims, see ``nonce_claims``);
key records and decrypted secrets are cached per replica for ``app_key_cache_ttl_s`` so a disabled or rotated key
takes effect everywhere within it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kunruyi_common.auth import Principal
from kunruyi_common.crypto import DecryptionError, FieldCipher
from kunruyi_common.errors import MissingCredentials
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers

from kunruyi_gateway.access.limiter import parse_rate
from kunruyi_gateway.partners import signature as sig
from kunruyi_gateway.partners.exceptions import (
    InvalidSignature,
    ReplayedRequest,
    TimestampOutOfWindow,
    UnknownAppKey,
)
from kunruyi_gateway.partners.metrics import NONCE_STORE_ERRORS
from kunruyi_gateway.partners.nonce_claims import NonceClaims
from kunruyi_gateway.partners.service import secret_aad

_LOAD_KEY = text(
    "SELECT k.status, k.scopes, k.rate, s.secret_encrypted, s.expires_at FROM partner_app_keys k "
    "LEFT JOIN partner_app_key_secrets s ON s.app_key = k.app_key "
    "AND (s.expires_at IS NULL OR s.expires_at > now()) WHERE k.app_key = :k ORDER BY s.id DESC"
)


@dataclass(frozen=True)
class KeyRecord:
    active: bool
    scopes: tuple[str, ...]
    rate: str
    secrets: tuple[tuple[str, datetime | None], ...]  # (secret, expires_at), newest first


@dataclass(frozen=True)
class VerifiedPartner:
    app_key: str
    scopes: tuple[str, ...]
    rate: str
    # This request's place in the key's shared rate window, and when that window ends.
    hits: int = 0
    limit: int = 0
    window_ends_at: datetime | None = None

    @property
    def over_rate(self) -> bool:
        return self.limit > 0 and self.hits > self.limit

    def principal(self) -> Principal:
        return Principal(kind="partner", subject=self.app_key, scopes=list(self.scopes))


class PartnerVerifier:
    def __init__(
        self, engine: AsyncEngine, cipher: FieldCipher, *, window_s: int, nonce_ttl_s: int, cache_ttl_s: float
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.window_ms = window_s * 1000
        self.nonce_ttl = timedelta(seconds=nonce_ttl_s)
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[float, KeyRecord | None]] = {}
        self.nonces = NonceClaims(engine)

    def forget(self, app_key: str | None = None) -> None:
        if app_key is None:
            self._cache.clear()
        else:
            self._cache.pop(app_key, None)

    async def _record(self, app_key: str) -> KeyRecord | None:
        now = time.monotonic()
        hit = self._cache.get(app_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_LOAD_KEY, {"k": app_key})).all()
        record: KeyRecord | None = None
        if rows:
            secrets_: list[tuple[str, datetime | None]] = []
            for _status, _scopes, _rate, encrypted, expires_at in rows:
                if encrypted is None:
                    continue
                try:
                    secrets_.append((self.cipher.decrypt(encrypted, secret_aad(app_key)), expires_at))
                except DecryptionError:
                    continue
            status, scopes, rate = rows[0][0], rows[0][1], rows[0][2]
            record = KeyRecord(status == "active", tuple(scopes or ()), rate, tuple(secrets_))
        if self.cache_ttl_s > 0:
            self._cache[app_key] = (now + self.cache_ttl_s, record)
        return record

    async def verify(
        self, *, method: str, path: str, raw_query: str, headers: Headers, body: bytes
    ) -> VerifiedPartner:
        app_key = headers.get(sig.HEADER_APP_KEY)
        timestamp = headers.get(sig.HEADER_TIMESTAMP)
        nonce = headers.get(sig.HEADER_NONCE)
        signature = headers.get(sig.HEADER_SIGNATURE)
        missing = [
            name
            for name, value in (
                ("X-Kry-AppKey", app_key),
                ("X-Kry-Timestamp", timestamp),
                ("X-Kry-Nonce", nonce),
                ("X-Kry-Signature", signature),
            )
            if not value
        ]
        if missing or app_key is None or timestamp is None or nonce is None or signature is None:
            raise MissingCredentials(f"缺少请求头：{', '.join(missing)}")
        sign_method = headers.get(sig.HEADER_SIGN_METHOD) or sig.DEFAULT_SIGN_METHOD
        if sign_method not in sig.SIGN_METHODS:
            raise InvalidSignature(f"不支持的签名方法：{sign_method}（可用 HMAC-SHA256、HMAC-SM3）")
        if not sig.NONCE_RE.match(nonce):
            raise MissingCredentials("X-Kry-Nonce 须为 16–64 位字母、数字、_ 或 -")
        if not sig.TIMESTAMP_RE.match(timestamp):
            raise MissingCredentials("X-Kry-Timestamp 须为毫秒级 Unix 时间（纯数字）")
        record = await self._record(app_key)
        if record is None or not record.active:
            raise UnknownAppKey("AppKey 不存在或已停用")
        now_ms = int(time.time() * 1000)
        if abs(now_ms - int(timestamp)) > self.window_ms:
            raise TimestampOutOfWindow(f"时间戳与服务器时间相差超过 {self.window_ms // 1000} 秒")
        text_to_sign = sig.string_to_sign(
            method=method,
            path=path,
            raw_query=raw_query,
            app_key=app_key,
            timestamp=timestamp,
            nonce=nonce,
            body=body,
            sign_method=sign_method,
        )
        wall = datetime.now(UTC)
        valid = any(
            (expires_at is None or expires_at > wall)
            and sig.signature_matches(secret, text_to_sign, signature, sign_method)
            for secret, expires_at in record.secrets
        )
        if not valid:
            raise InvalidSignature("签名不匹配：请核对待签名字符串与密钥")
        # Only a correctly signed request may claim a nonce, so nobody can burn a partner's nonces.
        rate = parse_rate(record.rate)
        try:
            claimed = await self.nonces.claim(
                app_key=app_key,
                nonce=nonce,
                expires_at=wall + self.nonce_ttl,
                bucket=f"{app_key}|{record.rate}"[:160],
                period_s=float(rate.get_expiry()),
            )
        except Exception:
            NONCE_STORE_ERRORS.labels("claim").inc()
            raise
        if claimed is None:
            raise ReplayedRequest("该 nonce 在 10 分钟内已使用过")
        return VerifiedPartner(
            app_key,
            record.scopes,
            record.rate,
            hits=claimed.hits,
            limit=rate.amount,
            window_ends_at=claimed.window_ends_at,
        )

    async def close(self) -> None:
        await self.nonces.close()

    async def purge_expired_nonces(self) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(text("DELETE FROM partner_nonces WHERE expires_at < now()"))
            await conn.execute(text("DELETE FROM partner_rate_windows WHERE expires_at < now()"))
        return int(result.rowcount or 0)
