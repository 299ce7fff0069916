"""Input PostgreSQL cannot store: a NUL character (``\\u0000``) anywhere in a request is a 422 naming the field.

PostgreSQL text and JSONB refuse U+0000, so a NUL in a policy code, a filter, an entity id or a title would
otherwise surface as a database error (a 500) wherever the value reaches a query. Every router of the service
declares :func:`reject_nul` as a dependency; it runs before the endpoint, on the path, the query and the JSON body.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from kunruyi_common.errors import Unprocessable

NUL = "\x00"


def _nul_path(value: Any, path: str) -> str | None:
    """The dotted path (``profile.qualifications.1``) of the first string or key holding a NUL, if any."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return child
            found = _nul_path(item, child)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _refuse(field: str) -> Unprocessable:
    return Unprocessable(
        f"{field} 含有空字符（\\u0000），无法保存或查询", code="invalid_character", field=field
    )


async def reject_nul(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise _refuse(f"path.{name}")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise _refuse(f"query.{name}")
    if request.method in ("POST", "PUT", "PATCH"):
        raw = await request.body()  # FastAPI has read and cached it already
        # JSON can only carry a NUL escaped; a raw NUL byte is invalid JSON and already refused as such.
        if b"\\u0000" in raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return
            field = _nul_path(body, "")
            if field is not None:
                raise _refuse(field or "body")
