"""The answer of ``POST /api/v1/policy-simulations`` (政策沙盘)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class SimulationSide(BaseModel):
    """Who qualifies under one version and what it costs."""

    eligible: int = Field(description="符合（含待人工确认）的主体数")
    cost_fen: int
    needs_confirmation: int = Field(description="其中须人工确认部分条件的主体数")
    errors: int = Field(description="规则无法计算的主体数（不计入符合）")


class SimulationGroup(BaseModel):
    key: str = Field(description="区镇或产业链；未填写的记为“未填写”")
    eligible: int
    gains: int
    losses: int
    cost_fen: int
    cost_delta_fen: int


class SimulationResult(BaseModel):
    """A draft version against the version in force, over the registry; nothing is published."""

    policy_code: str
    evaluation_date: date
    baseline_version: int | None = Field(description="现行版本号；没有现行版本时为空")
    entity_type: str
    entities: int = Field(description="参与模拟的主体数")
    baseline: SimulationSide
    draft: SimulationSide
    gains: int = Field(description="草稿下新增符合的主体数")
    losses: int = Field(description="草稿下不再符合的主体数")
    cost_delta_fen: int
    annual_budget_fen: int | None
    budget_used_ratio: float | None
    over_budget: bool
    by_district: list[SimulationGroup]
    by_industry_chain: list[SimulationGroup]
    published: bool
