"""Builders the demo catalog's items are written with (演示数据): criteria, rule fragments, parameters, one item."""

from __future__ import annotations

from typing import Any

from kunruyi_policy.catalog.taxonomy import CATEGORIES
from kunruyi_policy.demo.documents import BY_NUMBER

WAN = 1_000_000  # 1 万元 in fen
THEME_CATEGORY = {theme: category for category, _, themes in CATEGORIES for theme, _ in themes}


def D(cid: str, label: str, rule: Any) -> dict[str, Any]:
    return {"id": cid, "label": label, "kind": "data", "rule": rule}


def M(cid: str, label: str) -> dict[str, Any]:
    return {"id": cid, "label": label, "kind": "manual"}


def var(name: str) -> dict[str, Any]:
    return {"var": name}


def has(qualification: str, variable: str = "qualifications") -> dict[str, Any]:
    return {"in": [qualification, var(variable)]}


def param(name: str, label: str, unit: str, *values: tuple[str, Any, str]) -> dict[str, Any]:
    return {
        name: {
            "label": label,
            "unit": unit,
            "values": [{"effective_from": d, "value": v, "reference": r} for d, v, r in values],
        }
    }


def item(
    code: str,
    title: str,
    department: str,
    theme: str,
    policy_type: str,
    beneficiary: str,
    mode: str,
    criteria: list[dict[str, Any]],
    amount: Any,
    *,
    cap: int | None = None,
    parameters: dict[str, Any] | None = None,
    source: str = "昆办发〔2022〕67号",
    target: str = "",
    conditions: str = "",
    days: int = 20,
    budget: int = 0,
    tags: tuple[str, ...] = (),
    kind: str | None = None,
    exclusive: str | None = None,
    stacking: str | None = None,
    once: bool = False,
) -> dict[str, Any]:
    return {
        "document_code": BY_NUMBER[source],
        # 权益 (入学、医疗、落户、配租) are services, not cash
        "benefit_kind": kind or ("service" if policy_type == "权益" else "cash"),
        "exclusion_group": exclusive,
        "stacking_group": stacking,
        "once_per_entity": once,
        "code": code,
        "title": title,
        "legal_source": source,
        "department_code": department,
        "category_code": THEME_CATEGORY[theme],
        "theme_code": theme,
        "policy_type": policy_type,
        "beneficiary": beneficiary,
        "mode": mode,
        "target_description": target
        or ("在昆注册的企业" if beneficiary == "enterprise" else "在昆工作的人才"),
        "conditions_text": conditions or "；".join(c["label"] for c in criteria),
        "payout_days": days,
        "annual_budget_fen": budget or 500 * WAN,
        "tags": ["演示数据", *tags],
        "criteria": criteria,
        "amount": amount,
        "amount_cap_fen": cap,
        "parameters": parameters or {},
    }
