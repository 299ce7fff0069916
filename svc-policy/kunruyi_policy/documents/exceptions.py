"""The problems policy documents answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class DocumentNotFound(NotFound):
    """政策文件 … 不存在"""

    code = "document_not_found"


class DocumentExists(Conflict):
    """政策文件编码 … 已存在"""

    code = "document_exists"


class DocumentNumberTaken(Conflict):
    """文号 … 已由政策文件 … 使用"""

    code = "document_number_taken"


class UnknownParentDocument(Unprocessable):
    """上级文件 … 不存在"""

    code = "unknown_parent_document"


class DocumentLevelMismatch(Unprocessable):
    """1+N+X 层级不符：总体政策（1）没有上级，专项政策（N）挂在总体政策下，实施细则（X）挂在专项政策下"""

    code = "document_level_mismatch"


class DocumentParentCycle(Unprocessable):
    """上级文件形成循环：… 是 … 的下级"""

    code = "document_parent_cycle"
