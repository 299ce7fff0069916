"""The problems imports answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class BadColumns(Unprocessable):
    """An import file lacks required columns or has unknown ones; `detail` lists them and the columns accepted."""

    code = "bad_columns"


class BadCsv(Unprocessable):
    """CSV 文件无法解析：…"""

    code = "bad_csv"


class BadEncoding(Unprocessable):
    """文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV"""

    code = "bad_encoding"


class BadXlsx(Unprocessable):
    """无法读取 Excel 文件（仅支持 .xlsx）"""

    code = "bad_xlsx"
