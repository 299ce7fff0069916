"""Pydantic's validation errors in Chinese, for the ``message`` of each field in a 422 problem.

Every reader of a 422 (an officer on the console, a company on 昆e服, a partner's developer) reads Chinese, so the
pages can show a service's own words beside the field instead of writing their own. The error's ``type`` stays in
the problem unchanged: it is the stable, machine-readable part. A type not listed here keeps pydantic's words, and
a message a validator wrote itself (``ValueError`` or a ``PydanticCustomError``) is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_Ctx = Mapping[str, Any]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _expected(ctx: _Ctx) -> str:
    # pydantic words the choices as "'a', 'b' or 'c'"; a reader wants them listed with 、
    expected = str(ctx.get("expected", ""))
    return expected.replace("' or '", "'、'").replace("', '", "'、'")


_MESSAGES: dict[str, Callable[[_Ctx], str]] = {
    "missing": lambda _: "必填",
    "string_too_short": lambda c: (
        "不能为空" if c.get("min_length") == 1 else f"至少 {c.get('min_length')} 个字"
    ),
    "string_too_long": lambda c: f"最多 {c.get('max_length')} 个字",
    "too_short": lambda c: f"至少 {c.get('min_length')} 项",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "string_type": lambda _: "应为文字",
    "string_pattern_mismatch": lambda _: "格式不正确",
    "literal_error": lambda c: f"只能是以下之一：{_expected(c)}",
    "enum": lambda c: f"只能是以下之一：{_expected(c)}",
    "uuid_parsing": lambda _: "不是有效的编号（UUID）",
    "uuid_type": lambda _: "不是有效的编号（UUID）",
    "int_parsing": lambda _: "应为整数",
    "int_type": lambda _: "应为整数",
    "int_from_float": lambda _: "应为整数，不能带小数",
    "float_parsing": lambda _: "应为数字",
    "float_type": lambda _: "应为数字",
    "decimal_parsing": lambda _: "应为数字",
    "decimal_type": lambda _: "应为数字",
    "decimal_max_places": lambda c: f"最多 {c.get('decimal_places')} 位小数",
    "bool_parsing": lambda _: "应为是或否（true/false）",
    "bool_type": lambda _: "应为是或否（true/false）",
    "greater_than": lambda c: f"应大于 {c.get('gt')}",
    "greater_than_equal": lambda c: "不能为负数" if c.get("ge") == 0 else f"不能小于 {c.get('ge')}",
    "less_than": lambda c: f"应小于 {c.get('lt')}",
    "less_than_equal": lambda c: f"不能大于 {c.get('le')}",
    "date_parsing": lambda _: "不是有效的日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": lambda _: "不是有效的日期（YYYY-MM-DD）",
    "date_type": lambda _: "不是有效的日期（YYYY-MM-DD）",
    "datetime_parsing": lambda _: "不是有效的时间（ISO 8601，如 2026-06-18T09:30:00+08:00）",
    "datetime_from_date_parsing": lambda _: "不是有效的时间（ISO 8601，如 2026-06-18T09:30:00+08:00）",
    "datetime_type": lambda _: "不是有效的时间（ISO 8601，如 2026-06-18T09:30:00+08:00）",
    "list_type": lambda _: "应为列表",
    "dict_type": lambda _: "应为对象",
    "model_type": lambda _: "应为对象",
    "model_attributes_type": lambda _: "应为对象",
    "extra_forbidden": lambda _: "不接受这个字段",
    "json_invalid": lambda _: "不是有效的 JSON",
    "url_parsing": lambda _: "不是有效的网址",
    "url_scheme": lambda _: "网址应以 http:// 或 https:// 开头",
}


def chinese_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a reader of the field is told it."""
    # a validator's own words (``raise ValueError("…")``), without pydantic's English prefix
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    kind = str(error.get("type", ""))
    # written by us (a validator, or a service building its own error list): already Chinese
    if kind == "value_error" or _CHINESE.search(message):
        return message
    words = _MESSAGES.get(kind)
    return words(error.get("ctx") or {}) if words is not None else message
