from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


DocumentCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,59}$")]


class DocumentCreate(BaseModel):
    """A policy document an officer adds (a new 文件 the catalog's items can then cite)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "DOC-X-AI",
                    "doc_number": "昆科规〔2026〕3号",
                    "title": "人工智能产业创新平台建设实施细则",
                    "issuer": "昆山市科学技术局",
                    "level": "X",
                    "parent_code": "DOC-N-SCI",
                    "issued_on": "2026-03-01",
                }
            ]
        },
    )

    code: DocumentCode = Field(description="编码，大写字母、数字和连字符，如 DOC-X-HIGHTECH")
    doc_number: str = Field(min_length=2, max_length=80, description="文号，如 昆科规〔2024〕9号")
    title: str = Field(min_length=2, max_length=200)
    issuer: str = Field(min_length=2, max_length=120)
    level: Level
    parent_code: DocumentCode | None = Field(
        None, description="上级文件：N 挂在 1 下，X 挂在 N 下；1 没有上级"
    )
    issued_on: date | None = None
    url: str = Field("", max_length=300)
    summary: str = Field("", max_length=4000)


class DocumentUpdate(BaseModel):
    """Fields of a document an officer may change; the code stays."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"parent_code": "DOC-N-INDUSTRY"}]}
    )

    doc_number: str | None = Field(None, min_length=2, max_length=80)
    title: str | None = Field(None, min_length=2, max_length=200)
    issuer: str | None = Field(None, min_length=2, max_length=120)
    level: Level | None = None
    parent_code: DocumentCode | None = None
    issued_on: date | None = None
    url: str | None = Field(None, max_length=300)
    summary: str | None = Field(None, max_length=4000)
