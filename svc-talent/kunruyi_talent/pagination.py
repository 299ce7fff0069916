"""Opaque keyset cursors: base64 of the last row's sort key, so pages stay stable while rows are added."""

from __future__ import annotations

import base64
import json
from typing import Any

from kunruyi_common.errors import Unprocessable


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Unprocessable("分页游标无效", field="query.cursor", code="invalid_cursor") from None
    if not isinstance(values, list) or len(values) != arity:
        raise Unprocessable("分页游标无效", field="query.cursor", code="invalid_cursor")
    return values
