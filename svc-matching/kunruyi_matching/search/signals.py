"""Structured signals fused with text relevance. Each returns a number in [0, 1]."""

from __future__ import annotations

import math
from functools import lru_cache

from kunruyi_matching.taxonomy import field_category

# Kunshan is a county-level city of Suzhou and borders Shanghai's Jiading and Qingpu districts.
_LOCAL = ("昆山",)
_NEIGHBOURS = ("上海", "苏州")
_YANGTZE_DELTA = (
    "南京",
    "无锡",
    "常州",
    "南通",
    "扬州",
    "镇江",
    "泰州",
    "盐城",
    "杭州",
    "宁波",
    "嘉兴",
    "湖州",
    "绍兴",
    "金华",
    "舟山",
    "台州",
    "温州",
    "合肥",
    "芜湖",
    "江苏",
    "浙江",
    "安徽",
    "长三角",
)


@lru_cache(maxsize=4096)
def region_proximity(region: str | None) -> float:
    """1 in Kunshan, 0.9 in Shanghai or Suzhou, 0.6 elsewhere in the Yangtze River Delta, 0.2 farther, 0.3 unknown."""
    if not region:
        return 0.3
    if any(r in region for r in _LOCAL):
        return 1.0
    if any(r in region for r in _NEIGHBOURS):
        return 0.9
    if any(r in region for r in _YANGTZE_DELTA):
        return 0.6
    return 0.2


def field_match(demand_field: str | None, supply_field: str | None) -> float:
    """1 for the same field, 0.5 for the same category (e.g. both 电子信息), else 0."""
    if not demand_field or not supply_field:
        return 0.0
    if demand_field == supply_field:
        return 1.0
    category = field_category(demand_field)
    return 0.5 if category is not None and category == field_category(supply_field) else 0.0


def maturity_score(maturity: int | None) -> float:
    """Technology readiness level 1..9 scaled to 0..1; unknown counts as 0."""
    if maturity is None:
        return 0.0
    return max(0.0, min(9, maturity)) / 9


@lru_cache(maxsize=1024)
def deals_score(deals: int) -> float:
    """Past signed deals, log-damped and saturating at 10."""
    return min(1.0, math.log1p(max(0, deals)) / math.log1p(10))
