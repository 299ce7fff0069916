"""What-if (政策沙盘): a draft version against the version in force, over the read model, publishing nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.entitlements.service import load_columns
from kunruyi_policy.management.service import raise_on_issues, rule_issues
from kunruyi_policy.models import Policy
from kunruyi_policy.rules.bulk import Columns, evaluate_bulk
from kunruyi_policy.rules.evaluation import compile_version
from kunruyi_policy.rules.variables import PROFILE_MODELS


def _qualifying(columns: Columns, compiled: Any, at: date) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Who qualifies (eligible, or eligible once a person confirms the manual criteria), the amounts, and counts.

    ``errors`` counts entities for which a rule could not be evaluated (e.g. a division by zero): they do not
    qualify, and the officer sees how many there are instead of a silently smaller cost.
    """
    if compiled is None:
        empty = np.zeros(columns.n, dtype=bool)
        return empty, np.zeros(columns.n, dtype=np.int64), {"needs_confirmation": 0, "errors": 0}
    result = evaluate_bulk(compiled, columns, at)
    qualifies = (result.status == 0) | (result.status == 2)
    counts = {
        "needs_confirmation": int((result.status == 2).sum()),
        "errors": int((result.status == 3).sum()),
    }
    return qualifies, np.where(qualifies, result.amount_fen, 0), counts


async def simulate(session: AsyncSession, policy: Policy, draft: dict[str, Any], at: date) -> dict[str, Any]:
    raise_on_issues(rule_issues(policy, draft))
    names = await repository.load_names(session)
    versions = await repository.versions_of(session, policy.id)
    current = repository.version_in_force(versions, at)
    baseline = repository.compiled(policy, current, names) if current else None
    proposed = compile_version(
        repository.meta_of(policy, names),
        (max((v.version for v in versions), default=0) + 1),
        at,
        draft["criteria"],
        draft["amount"],
        draft.get("amount_cap_fen"),
        draft.get("parameters") or {},
    )
    entity_type = policy.beneficiary if policy.beneficiary in PROFILE_MODELS else "enterprise"
    _, columns = await load_columns(session, entity_type)
    before, before_amount, before_counts = _qualifying(columns, baseline, at)
    after, after_amount, after_counts = _qualifying(columns, proposed, at)
    gains, losses = after & ~before, before & ~after
    cost_before, cost_after = int(before_amount.sum()), int(after_amount.sum())

    def breakdown(variable: str) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, int]] = defaultdict(
            lambda: {"eligible": 0, "gains": 0, "losses": 0, "cost_fen": 0, "cost_delta_fen": 0}
        )
        for i, profile in enumerate(columns.profiles):
            if not (before[i] or after[i]):
                continue
            g = groups[str(profile.get(variable) or "未填写")]
            g["eligible"] += int(after[i])
            g["gains"] += int(gains[i])
            g["losses"] += int(losses[i])
            g["cost_fen"] += int(after_amount[i])
            g["cost_delta_fen"] += int(after_amount[i]) - int(before_amount[i])
        return [{"key": k, **v} for k, v in sorted(groups.items(), key=lambda kv: -kv[1]["cost_fen"])]

    budget = policy.annual_budget_fen
    return {
        "policy_code": policy.code,
        "evaluation_date": at,
        "baseline_version": current.version if current else None,
        "entity_type": entity_type,
        "entities": columns.n,
        "baseline": {"eligible": int(before.sum()), "cost_fen": cost_before, **before_counts},
        "draft": {"eligible": int(after.sum()), "cost_fen": cost_after, **after_counts},
        "gains": int(gains.sum()),
        "losses": int(losses.sum()),
        "cost_delta_fen": cost_after - cost_before,
        "annual_budget_fen": budget,
        "budget_used_ratio": round(cost_after / budget, 4) if budget else None,
        "over_budget": bool(budget and cost_after > budget),
        "by_district": breakdown("district") if entity_type == "enterprise" else [],
        "by_industry_chain": breakdown("industry_chain"),
        "published": False,
    }
