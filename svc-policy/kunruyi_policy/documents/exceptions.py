"""The problems policy documents answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound


class DocumentNotFound(NotFound):
    """政策文件 … 不存在"""

    code = "document_not_found"
