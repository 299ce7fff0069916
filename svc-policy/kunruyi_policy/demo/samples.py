"""Sample profiles for docs, tests and benchmarks."""

from __future__ import annotations

from typing import Any

from kunruyi_policy.demo.catalog_builders import WAN

SAMPLE_ENTERPRISE: dict[str, Any] = {
    "district": "开发区",
    "industry_chain": "集成电路",
    "founded_years": 6,
    "employees": 80,
    "revenue_fen": 9375 * WAN,  # rd_ratio = 300万 / 9375万 = 0.032 (derived; the two must agree)
    "rd_expense_fen": 300 * WAN,
    "rd_ratio": 0.032,
    "high_tech_revenue_ratio": 0.7,
    "tax_paid_fen": 200 * WAN,
    "qualifications": ["high_tech"],
    "new_qualifications": ["high_tech"],
    "invention_patents": 3,
    "platforms": [],
}

SAMPLE_TALENT: dict[str, Any] = {
    "age": 32,
    "education": "doctor",
    "overseas": True,
    "talent_class": "B",
    "years_in_kunshan": 2,
    "skill_level": "",
    "talent_programs": ["shuangchuang"],
}


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["policy_code"]: r for r in body["results"]}


def new_policy_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "title": "测试政策",
        "legal_source": "昆科规〔2026〕1号",
        "department_code": "sci_tech",
        "theme_code": "innovation_rd",
        "policy_type": "奖补",
        "beneficiary": "enterprise",
        "mode": "application",
        "valid_from": "2022-01-01",
        "annual_budget_fen": 100 * WAN,
    }
    body.update(overrides)
    return body
