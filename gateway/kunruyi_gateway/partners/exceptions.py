"""The problems partners answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound


class AppKeyDisabled(Conflict):
    """已停用的 AppKey 不能轮换密钥"""

    code = "app_key_disabled"


class AppKeyExists(Conflict):
    """AppKey 已存在：…"""

    code = "app_key_exists"


class AppKeyNotFound(NotFound):
    """没有这个 AppKey：…"""

    code = "app_key_not_found"
