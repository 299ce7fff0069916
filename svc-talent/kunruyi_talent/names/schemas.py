from __future__ import annotations

import uuid

from pydantic import BaseModel


class EnterpriseName(BaseModel):
    uscc: str
    name: str


class EnterpriseNames(BaseModel):
    """The names of the requested enterprises on file; a code not on file is simply absent."""

    items: list[EnterpriseName]


class TalentName(BaseModel):
    id: uuid.UUID
    name: str


class TalentNames(BaseModel):
    """The names of the requested talents on file; an id not on file is simply absent."""

    items: list[TalentName]
