from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from kunruyi_policy.catalog.schemas import PolicyOut

Level = Literal["1", "N", "X"]


class DocumentOut(BaseModel):
    code: str
    doc_number: str
    title: str
    issuer: str
    level: Level
    parent_code: str | None
    issued_on: date | None
    url: str
    summary: str
    item_count: int
    children: list[str]


class DocumentList(BaseModel):
    items: list[DocumentOut]


class DocumentItems(BaseModel):
    document: DocumentOut
    items: list[PolicyOut]
