"""Text PostgreSQL cannot store — a NUL character (``\\u0000``) or a lone UTF-16 surrogate from a JSON escape — is
refused as a 422 naming the field, before any query, instead of failing in the driver as a 500.

Every app built by :func:`kunruyi_common.app.create_service_app` runs :func:`reject_unstorable` on every request:
the path and query parameters and, for JSON bodies, every string and key (the error names the dotted path,
e.g. ``profile.qualifications.1``, as validation errors name body fields).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from kunruyi_common.errors import Unprocessable

_NUL = "\x00"
# A JSON body can only carry these escaped (\u0000, a surrogate \ud800–\udfff); a raw NUL byte or bad UTF-8 is
# invalid JSON, refused as such. One case-insensitive scan of the raw bytes, without decoding or copying them.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f])", re.IGNORECASE)


def unstorable(value: str) -> bool:
    if _NUL in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unstorable(value: Any, path: str) -> str | None:
    """The dotted path of the first string or key PostgreSQL could not store, if any."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if unstorable(str(key)):
                return child
            found = first_unstorable(item, child)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = first_unstorable(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _refuse(field: str) -> Unprocessable:
    return Unprocessable(
        f"{field} 含有无法保存的字符（空字符或无效的 Unicode）", code="invalid_character", field=field
    )


async def reject_unstorable(request: Request) -> None:
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, value in params.items():
            if unstorable(str(name)) or (isinstance(value, str) and unstorable(value)):
                raise _refuse(f"{where}.{name}")
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    raw = await request.body()  # FastAPI has read and cached it already
    if _SUSPECT_ESCAPE.search(raw) is None:
        return
    try:
        body = json.loads(raw)
    except ValueError:
        return  # FastAPI reports the invalid JSON itself
    field = first_unstorable(body, "")
    if field is not None:
        raise _refuse(field or "body")
