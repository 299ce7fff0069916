"""The answer of ``GET /api/v1/taxonomy``: the maintained catalogues demands and supplies are tagged with."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IndustryChainEntry(BaseModel):
    code: str
    name: str
    tier: str = Field(description="“2+6+X”中的层级：2、6 或 X")
    aliases: list[str]


class TechnicalFieldEntry(BaseModel):
    code: str
    name: str
    category: str
    industry_chain: str = Field(description="所属产业链编码")
    ipc: list[str] = Field(description="对应的 IPC 分类号")


class Taxonomy(BaseModel):
    industry_chains: list[IndustryChainEntry]
    technical_fields: list[TechnicalFieldEntry]
    demand_types: list[str]
    channels: list[str]
    supply_kinds: list[str]
