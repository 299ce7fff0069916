"""The problems a catalog sheet is refused with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class CatalogSheetRejected(Unprocessable):
    """表格有 … 处问题，未写入任何政策（`errors` 逐行列出：行号、列名、原因）"""

    code = "catalog_sheet_rejected"


class UnreadableSheet(Unprocessable):
    """无法读取表格：须为 UTF-8 编码的 CSV 或 XLSX，首行为列名"""

    code = "unreadable_sheet"
