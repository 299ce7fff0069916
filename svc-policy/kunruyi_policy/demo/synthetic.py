"""Synthetic catalogs of any size and synthetic entities, for benchmarks and load tests (never seeded as demo)."""

from __future__ import annotations

import copy
import random
from datetime import date
from typing import Any

import numpy as np

from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.rules.evaluation import CompiledVersion, PolicyMeta, compile_version
from kunruyi_policy.rules.jsonlogic import is_operation
from kunruyi_policy.rules.variables import (
    DISTRICTS,
    ENTERPRISE_QUALIFICATIONS,
    INDUSTRY_CHAINS,
    PLATFORMS,
    TALENT_PROGRAMS,
)

_COMPARISONS = {">=", ">", "<=", "<"}


def _scale(rule: Any, factor: float) -> Any:
    """Move the numeric thresholds of comparisons, so synthetic items differ from their template."""
    if isinstance(rule, list):
        return [_scale(r, factor) for r in rule]
    if not is_operation(rule):
        return rule
    op, raw = next(iter(rule.items()))
    args = raw if isinstance(raw, list) else [raw]
    if op in _COMPARISONS:
        scaled = []
        for a in args:
            if isinstance(a, bool) or not isinstance(a, int | float):
                scaled.append(_scale(a, factor))
            elif isinstance(a, int):
                scaled.append(int(a * factor))
            else:
                scaled.append(min(1.0, round(a * factor, 4)) if a <= 1 else round(a * factor, 2))
        return {op: scaled}
    return {op: [_scale(a, factor) for a in args]}


def synthetic_catalog(
    size: int, *, seed: int = 7, beneficiary: str | None = None, mode: str | None = None
) -> list[dict[str, Any]]:
    templates = [
        t
        for t in demo_catalog()
        if (beneficiary is None or t["beneficiary"] == beneficiary) and (mode is None or t["mode"] == mode)
    ]
    rng = random.Random(seed)
    items = []
    for i in range(size):
        template = templates[i % len(templates)]
        item = copy.deepcopy(template)
        factor = rng.uniform(0.6, 1.4)
        item["code"] = f"SYN-{i + 1:05d}"
        item["title"] = f"{template['title']}（合成第{i + 1}号）"
        item["tags"] = ["合成数据"]
        item["criteria"] = [
            {**c, "rule": _scale(c["rule"], factor)} if c["kind"] == "data" else c for c in item["criteria"]
        ]
        items.append(item)
    return items


def compile_items(
    items: list[dict[str, Any]], effective_from: date = date(2022, 1, 1)
) -> list[CompiledVersion]:
    return [
        compile_version(
            PolicyMeta(
                i["code"],
                i["title"],
                i["department_code"],
                i["category_code"],
                i["theme_code"],
                i["policy_type"],
                i["beneficiary"],
                i["mode"],
                i["annual_budget_fen"],
                i["legal_source"],
            ),
            1,
            effective_from,
            i["criteria"],
            i["amount"],
            i.get("amount_cap_fen"),
            i.get("parameters") or {},
        )
        for i in items
    ]


def _subsets(rng: np.random.Generator, n: int, values: tuple[str, ...], p: float) -> list[list[str]]:
    chosen = rng.random((n, len(values))) < p
    return [[values[j] for j in np.flatnonzero(row)] for row in chosen]


def synthetic_enterprises(n: int, *, seed: int = 11, certified_in: int | None = None) -> list[dict[str, Any]]:
    """``n`` companies' read-model profiles. ``certified_in``: the year a company's new qualifications were
    granted (``qualification_dates``, on 15 January), so one-off awards, exclusion groups and stacking caps
    apply to them; without it they carry no dates."""
    rng = np.random.default_rng(seed)
    revenue = (rng.lognormal(np.log(3000 * WAN), 1.2, n)).astype(np.int64)
    rd_ratio = np.clip(rng.beta(2, 40, n), 0, 1)
    rd_expense = (revenue * rd_ratio).astype(np.int64)
    tax = (revenue * rng.uniform(0, 0.08, n)).astype(np.int64)
    employees = rng.integers(0, 2000, n)
    founded = rng.integers(0, 30, n)
    patents = rng.poisson(4, n)
    ht_ratio = np.round(rng.uniform(0, 1, n), 4)
    districts = rng.integers(0, len(DISTRICTS), n)
    chains = rng.integers(0, len(INDUSTRY_CHAINS), n)
    qualifications = _subsets(rng, n, ENTERPRISE_QUALIFICATIONS, 0.2)
    new_qualifications = _subsets(rng, n, ENTERPRISE_QUALIFICATIONS, 0.05)
    platforms = _subsets(rng, n, PLATFORMS, 0.08)
    profiles = [
        {
            "district": DISTRICTS[districts[i]],
            "industry_chain": INDUSTRY_CHAINS[chains[i]],
            "founded_years": int(founded[i]),
            "employees": int(employees[i]),
            "revenue_fen": int(revenue[i]),
            "rd_expense_fen": int(rd_expense[i]),
            "rd_ratio": float(rd_ratio[i]),
            "high_tech_revenue_ratio": float(ht_ratio[i]),
            "tax_paid_fen": int(tax[i]),
            "qualifications": qualifications[i],
            "new_qualifications": new_qualifications[i],
            "invention_patents": int(patents[i]),
            "platforms": platforms[i],
        }
        for i in range(n)
    ]
    if certified_in is not None:
        for profile in profiles:
            if profile["new_qualifications"]:
                profile["qualification_dates"] = {
                    q: {"granted_on": f"{certified_in}-01-15"} for q in profile["new_qualifications"]
                }
    return profiles


def synthetic_talent(n: int, *, seed: int = 13) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    educations = ("bachelor", "master", "doctor", "other")
    classes = ("", "A", "B", "C", "D", "E")
    levels = ("", "高级工", "技师", "高级技师")
    return [
        {
            "age": int(rng.integers(20, 65)),
            "education": educations[int(rng.integers(0, 4))],
            "overseas": bool(rng.random() < 0.2),
            "title": "",
            "skill_level": levels[int(rng.integers(0, 4))],
            "talent_programs": [p for p in TALENT_PROGRAMS if rng.random() < 0.05],
            "talent_class": classes[int(rng.integers(0, 6))],
            "years_in_kunshan": int(rng.integers(0, 15)),
            "annual_salary_fen": int(rng.lognormal(np.log(30 * WAN), 0.8)),
            "employer_qualifications": [q for q in ENTERPRISE_QUALIFICATIONS if rng.random() < 0.2],
            "industry_chain": INDUSTRY_CHAINS[int(rng.integers(0, len(INDUSTRY_CHAINS)))],
        }
        for _ in range(n)
    ]
