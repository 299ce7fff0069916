"""The problems partners answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unauthorized


class AppKeyDisabled(Conflict):
    """已停用的 AppKey 不能轮换密钥"""

    code = "app_key_disabled"


class AppKeyExists(Conflict):
    """AppKey 已存在：…"""

    code = "app_key_exists"


class AppKeyNotFound(NotFound):
    """没有这个 AppKey：…"""

    code = "app_key_not_found"


class UnknownAppKey(Unauthorized):
    """A signed request names an AppKey that does not exist or was disabled."""

    code, title = "unknown_app_key", "AppKey 无效"


class TimestampOutOfWindow(Unauthorized):
    """A signed request's timestamp is more than the signature window (300 s) from the server's clock."""

    code, title = "timestamp_out_of_window", "时间戳超出允许范围"


class InvalidSignature(Unauthorized):
    """A signed request's signature does not match the canonical request and the key's secret."""

    code, title = "invalid_signature", "签名无效"


class ReplayedRequest(Unauthorized):
    """A signed request reuses a nonce this key sent in the last 10 minutes (a replay, or a retry not re-signed)."""

    code, title = "replayed_request", "重复的请求"
