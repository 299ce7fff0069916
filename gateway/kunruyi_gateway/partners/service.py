"""App key management: create, rotate (old and new secret valid during an overlap), disable, list.

The secret is returned once, at creation or rotation, and stored only encrypted (AES-256-GCM with the PII key).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import limits
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.errors import Unprocessable
from kunruyi_common.reencrypt import EncryptedColumn
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.partners.exceptions import AppKeyDisabled, AppKeyExists, AppKeyNotFound
from kunruyi_gateway.partners.models import AppKey, AppKeySecret

SCOPES: tuple[str, ...] = (
    "policy:read",
    "talent:read",
    "talent:write",
    "disbursement:read",
    "disbursement:write",
    "matching:read",
    "matching:write",
    "finance:write",
)
# What each scope lets a partner do, in the words the console shows.
SCOPE_TITLES: dict[str, str] = {
    "policy:read": "政策目录与计算器（读）",
    "talent:read": "企业、人才档案（读）",
    "talent:write": "企业、人才档案（写）",
    "disbursement:read": "兑现与拨付（读）",
    "disbursement:write": "在线申报（写）",
    "matching:read": "技术需求与供给（读）",
    "matching:write": "技术需求（写）",
    "finance:write": "金融产品与放款对接（写）",
}
_APP_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{2,63}$")
# Associated data binds each encrypted secret to its key, so a ciphertext copied to another row will not decrypt.
_AAD_PREFIX = b"partner-secret:"


def secret_aad(app_key: str) -> bytes:
    return _AAD_PREFIX + app_key.encode()


def _secret_row_aad(row: Mapping[str, Any]) -> bytes:
    return secret_aad(str(row["app_key"]))


# Every encrypted column of the gateway, for `python -m kunruyi_gateway reencrypt` (key rotation).
ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    EncryptedColumn(
        "partner_app_key_secrets", "secret_encrypted", aad=_secret_row_aad, aad_columns=("app_key",)
    ),
]


@dataclass
class IssuedSecret:
    app_key: AppKey
    secret: str
    previous_valid_until: datetime | None = None


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise Unprocessable(
            f"未知的权限范围：{', '.join(unknown)}；可用：{', '.join(SCOPES)}", field="scopes"
        )
    return sorted(set(scopes))


def _check_rate(rate: str) -> str:
    try:
        limits.parse(rate)
    except ValueError:
        raise Unprocessable(f"速率格式应如 600/minute：{rate!r}", field="rate") from None
    return rate


async def get_key(session: AsyncSession, app_key: str) -> AppKey:
    key = await session.get(AppKey, app_key)
    if key is None:
        raise AppKeyNotFound(f"没有这个 AppKey：{app_key}")
    return key


async def create_key(
    session: AsyncSession,
    cipher: FieldCipher,
    *,
    name: str,
    scopes: list[str],
    rate: str,
    app_key: str | None = None,
    secret: str | None = None,
    is_demo: bool = False,
) -> IssuedSecret:
    app_key = app_key or f"ak-{secrets.token_hex(8)}"
    if not _APP_KEY_RE.match(app_key):
        raise Unprocessable("AppKey 只能包含小写字母、数字和连字符（3–64 位）", field="app_key")
    if await session.get(AppKey, app_key) is not None:
        raise AppKeyExists(f"AppKey 已存在：{app_key}")
    secret = secret or secrets.token_urlsafe(32)
    key = AppKey(
        app_key=app_key,
        name=name,
        scopes=_check_scopes(scopes),
        rate=_check_rate(rate),
        status="active",
        is_demo=is_demo,
    )
    session.add(key)
    await session.flush()
    session.add(
        AppKeySecret(
            app_key=app_key, secret_encrypted=cipher.encrypt(secret, associated_data=secret_aad(app_key))
        )
    )
    await session.flush()
    return IssuedSecret(key, secret)


async def rotate_key(
    session: AsyncSession, cipher: FieldCipher, app_key: str, *, overlap_s: int
) -> IssuedSecret:
    key = await get_key(session, app_key)
    if key.status != "active":
        raise AppKeyDisabled("已停用的 AppKey 不能轮换密钥")
    now = datetime.now(UTC)
    until = now + timedelta(seconds=overlap_s)
    # Every earlier secret ends by the new overlap at the latest (an earlier expiry stays), so a rotation with
    # no overlap retires all of them at once — the emergency path after a leak.
    await session.execute(
        update(AppKeySecret)
        .where(AppKeySecret.app_key == app_key)
        .values(expires_at=func.least(func.coalesce(AppKeySecret.expires_at, until), until))
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        AppKeySecret(
            app_key=app_key, secret_encrypted=cipher.encrypt(secret, associated_data=secret_aad(app_key))
        )
    )
    await session.flush()
    return IssuedSecret(key, secret, until)


async def disable_key(session: AsyncSession, app_key: str) -> AppKey:
    key = await get_key(session, app_key)
    if key.status != "disabled":
        key.status = "disabled"
        key.disabled_at = datetime.now(UTC)
        await session.flush()
    return key


async def update_key(
    session: AsyncSession, app_key: str, *, scopes: list[str] | None, rate: str | None
) -> AppKey:
    key = await get_key(session, app_key)
    if scopes is not None:
        key.scopes = _check_scopes(scopes)
    if rate is not None:
        key.rate = _check_rate(rate)
    await session.flush()
    return key


async def list_keys(session: AsyncSession) -> list[AppKey]:
    return list((await session.scalars(select(AppKey).order_by(AppKey.created_at))).all())
