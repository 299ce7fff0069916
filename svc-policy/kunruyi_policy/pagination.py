"""Opaque cursors for list endpoints."""

from __future__ import annotations

import base64
import json
from typing import Any

from kunruyi_common.errors import BadRequest


def encode_cursor(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("分页游标无效", code="invalid_cursor", field="cursor") from exc
    if not isinstance(value, dict):
        raise BadRequest("分页游标无效", code="invalid_cursor", field="cursor")
    return value
