"""Request models whose text PostgreSQL can store. Every request is already checked at the edge
(kunruyi_common.inputs.reject_unstorable); the models check again so rows built from import files, which never
pass through a request body, are refused the same way."""

from __future__ import annotations

from kunruyi_common.inputs import first_unstorable
from pydantic import BaseModel, model_validator


class RequestModel(BaseModel):
    @model_validator(mode="after")
    def _storable_text(self) -> RequestModel:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, BaseModel):
                continue  # nested request models check themselves
            if first_unstorable(value, name):
                raise ValueError(f"{name} 含有无法保存的字符（空字符或无效的 Unicode）")
        return self
