"""The problems kunruyi_policy answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound


class NoDraft(Conflict):
    """没有待发布的草稿版本"""

    code = "no_draft"


class PolicyNotFound(NotFound):
    """政策 … 不存在"""

    code = "policy_not_found"
