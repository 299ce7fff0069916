"""Text PostgreSQL cannot store — a NUL character or a lone UTF-16 surrogate from a JSON escape — is refused as a
422 at the edge instead of failing in the driver as a 500."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from kunruyi_common.errors import Unprocessable
from pydantic import BaseModel, model_validator


def unstorable(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if unstorable(value) else None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _find(item, f"{path}.{i}")
            if found:
                return found
    if isinstance(value, dict):
        for k, item in value.items():
            found = _find(item, f"{path}.{k}")
            if found:
                return found
    return None


class RequestModel(BaseModel):
    @model_validator(mode="after")
    def _storable_text(self) -> RequestModel:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, BaseModel):
                continue  # nested request models check themselves
            if _find(value, name):
                raise ValueError(f"{name} 含有无法保存的字符（空字符或无效的 Unicode）")
        return self


async def reject_unstorable_params(request: Request) -> None:
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for key, value in params.items():
            if isinstance(value, str) and unstorable(value):
                raise Unprocessable(
                    "参数含有无法保存的字符（空字符或无效的 Unicode）",
                    field=f"{where}.{key}",
                    code="invalid_characters",
                )
