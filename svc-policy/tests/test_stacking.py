"""Exclusion groups (就高不重复) and stacking caps: one tier per topic, a cap per entity per year across a group,
the same in the calculator and the 免申即享 run (property), and totals that never add up exclusive items."""

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kunruyi_policy.calculator.service import evaluate_all, summarise
from kunruyi_policy.catalog import repository
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import by_code
from kunruyi_policy.entitlements.service import Candidate, settle_entity, unknown_mask
from kunruyi_policy.rules.bulk import Columns, evaluate_bulk
from kunruyi_policy.rules.evaluation import CompiledVersion, PolicyMeta
from kunruyi_policy.rules.stacking import settle
from kunruyi_policy.rules.variables import (
    ENTERPRISE_QUALIFICATIONS,
    INDUSTRY_CHAINS,
    PLATFORMS,
    EnterpriseProfile,
    figures_of,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

AT = date(2026, 6, 1)

money = st.one_of(
    st.sampled_from([0, 100 * WAN, 500 * WAN, 2000 * WAN, 120_000 * WAN]), st.integers(0, 50_000 * WAN)
)
codes = st.lists(st.sampled_from(ENTERPRISE_QUALIFICATIONS), unique=True)
enterprises = st.builds(
    lambda **kw: EnterpriseProfile(**kw).model_dump(),
    industry_chain=st.sampled_from([*INDUSTRY_CHAINS, ""]),
    employees=st.one_of(st.sampled_from([0, 10, 100, 300, 600]), st.integers(0, 5000)),
    revenue_fen=money,
    rd_expense_fen=money,
    tax_paid_fen=money,
    rd_ratio=st.sampled_from([0.0, 0.03, 0.05, 1.0]),
    high_tech_revenue_ratio=st.sampled_from([0.0, 0.6, 1.0]),
    qualifications=codes,
    new_qualifications=codes,
    renewed_qualifications=codes,
    invention_patents=st.integers(0, 30),
    new_invention_patents=st.integers(0, 5),
    platforms=st.lists(st.sampled_from(PLATFORMS), unique=True),
    new_platforms=st.lists(st.sampled_from(PLATFORMS), unique=True),
    total_assets_fen=money,
    taxable_income_fen=money,
    loan_interest_fen=money,
    smart_investment_fen=money,
    fixed_investment_fen=money,
    tech_contract_fen=money,
    incubated_firms=st.integers(0, 80),
    quality_award=st.sampled_from(["national", "provincial", "suzhou", "kunshan", ""]),
    listing_stage=st.sampled_from(["shareholding", "neeq", "filed", "listed", ""]),
)

LARGE: dict[str, Any] = {
    "district": "开发区",
    "industry_chain": "集成电路",
    "founded_years": 15,
    "employees": 2500,
    "revenue_fen": 300_000 * WAN,
    "rd_expense_fen": 15_000 * WAN,
    "tax_paid_fen": 9_000 * WAN,
    "high_tech_revenue_ratio": 0.8,
    "qualifications": ["high_tech", "tech_sme", "above_scale"],
    "smart_investment_fen": 6_000 * WAN,
    "loan_interest_fen": 400 * WAN,
    "fixed_investment_fen": 120_000 * WAN,
    "incubated_firms": 60,
    "quality_award": "national",
    "tech_contract_fen": 3_000 * WAN,
}


def meta(
    code: str, group: str | None = None, stacking: str | None = None, cap: int | None = None
) -> PolicyMeta:
    return PolicyMeta(
        code, code, "", "", "", "奖补", "enterprise", "automatic", 0,
        exclusion_group=group, stacking_group=stacking, stacking_cap_fen=cap,
    )  # fmt: skip


def test_only_the_best_tier_of_a_group_counts() -> None:
    a, b, c = meta("A", "g"), meta("B", "g"), meta("C", "g")
    out = settle([(a, "eligible", 10), (b, "eligible", 30), (c, "needs_confirmation", 20)])
    assert [o[0] for o in out] == ["excluded", "eligible", "excluded"]
    assert out[0][2] == {"excluded_by": "B", "reason": "同一事项就高不重复，只享受最高一档"}
    # a tier needing confirmation that could pay more stays on offer (最高), it is not summed with the eligible one
    out = settle([(a, "eligible", 10), (c, "needs_confirmation", 50)])
    assert [o[0] for o in out] == ["eligible", "needs_confirmation"]


def test_a_stacking_cap_is_shared_largest_first_and_counts_what_was_paid() -> None:
    x, y, z = (meta(code, stacking="s", cap=100) for code in "XYZ")
    out = settle([(x, "eligible", 70), (y, "eligible", 50), (z, "eligible", 10)])
    assert [(o[0], o[1]) for o in out] == [("eligible", 70), ("eligible", 30), ("excluded", None)]
    assert out[1][2] is not None and out[1][2]["before_cap_fen"] == 50
    assert settle([(x, "eligible", 70)], paid={"s": 80})[0][:2] == ("eligible", 20)


async def test_a_large_company_gets_one_tier_per_topic(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        full = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={"profile": LARGE, "beneficiary": "enterprise", "evaluation_date": AT.isoformat()},
            )
        ).json()
        compact = (
            await c.post(
                "/api/v1/policy-calculator",
                json={"profile": LARGE, "beneficiary": "enterprise", "evaluation_date": AT.isoformat()},
            )
        ).json()
    found = by_code(full)
    # 科技贷款贴息: the 高企 tier (50 %) counts, the 科技型中小企业 tier (30 %) is excluded
    assert found["KS-SB-062"]["status"] == "eligible" and found["KS-SB-062"]["amount_fen"] == 100 * WAN
    assert found["KS-SB-061"]["status"] == "excluded"
    assert found["KS-SB-061"]["stacking"]["excluded_by"] == "KS-SB-062"
    eligible_groups = [
        r["exclusion_group"] for r in full["results"] if r["exclusion_group"] and r["status"] == "eligible"
    ]
    assert len(eligible_groups) == len(set(eligible_groups))
    # 重大招商: three tiers all need confirmation; the 最高 total counts the topic once, at its top tier
    tiers = [found[f"KS-SB-09{j}"] for j in (1, 2, 3)]
    assert all(t["status"] == "needs_confirmation" for t in tiers)
    possible: dict[str, int] = {}
    for r in full["results"]:
        if r["status"] == "needs_confirmation" and r["benefit_kind"] == "cash":
            key = r["exclusion_group"] or r["policy_code"]
            possible[key] = max(possible.get(key, 0), r["amount_fen"] or 0)
    assert full["summary"]["possible_amount_fen"] == sum(possible.values())
    assert full["summary"]["possible_amount_fen"] < sum(
        r["amount_fen"] or 0 for r in full["results"] if r["status"] == "needs_confirmation"
    )
    # the compact answer: no trace, the same summary, one eligible item per group, no non-cash in the cash total
    assert "results" not in compact and compact["summary"] == full["summary"]
    assert {r["policy_code"] for r in compact["eligible"]} == {
        r["policy_code"] for r in full["results"] if r["status"] == "eligible"
    }
    assert compact["summary"]["eligible_amount_fen"] == sum(
        r["amount_fen"] for r in compact["eligible"] if r["benefit_kind"] == "cash"
    )
    assert any(r["benefit_kind"] == "tax" for r in compact["eligible"])  # 研发费用加计扣除, apart from cash


@pytest.fixture(scope="module")
async def enterprise_catalog(engine: AsyncEngine, demo_catalog_loaded: int) -> list[CompiledVersion]:
    async with AsyncSession(engine) as session:
        return [c for _, c in await repository.compiled_in_force(session, AT, beneficiary="enterprise")]


def run_decision(
    catalog: list[CompiledVersion], profile: dict[str, Any], unknown: list[str]
) -> set[tuple[str, int]]:
    """What a 免申即享 run determines for this one entity: bulk decision, unknown figures, groups and caps."""
    stored = {**profile, "_unknown": unknown}
    columns = Columns("enterprise", [stored])
    candidates = []
    for compiled in catalog:
        if compiled.meta.mode != "automatic":
            continue
        result = evaluate_bulk(compiled, columns, AT)
        decided = (result.status == 0) & (result.amount_fen > 0)
        missing = unknown_mask(columns, compiled)
        if missing is not None:
            decided &= ~missing
        if bool(np.any(decided)):
            candidates.append(Candidate(compiled, "enterprise", "E", int(result.amount_fen[0]), stored))
    metas = {c.meta.code: c.meta for c in catalog}
    return {(c.compiled.meta.code, c.amount_fen) for c in settle_entity(candidates, [], metas, "2026")}


FIGURES = sorted(figures_of("enterprise"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=enterprises, unknown=st.lists(st.sampled_from(FIGURES), unique=True, max_size=6))
def test_calculator_and_run_agree_and_no_answer_holds_two_items_of_a_group(
    enterprise_catalog: list[CompiledVersion], profile: dict[str, Any], unknown: list[str]
) -> None:
    pairs = [(c.meta, c) for c in enterprise_catalog]
    results = evaluate_all(pairs, profile, AT, frozenset(unknown))
    groups = [r["exclusion_group"] for r in results if r["exclusion_group"] and r["status"] == "eligible"]
    assert len(groups) == len(set(groups))
    for r in results:
        if set(unknown) & {*r.get("missing_data", [])}:
            assert r["status"] == "needs_data"
    calculator = {
        (r["policy_code"], r["amount_fen"])
        for r in results
        if r["status"] == "eligible" and r["mode"] == "automatic" and r["amount_fen"]
    }
    assert calculator == run_decision(enterprise_catalog, profile, unknown)
    summary = summarise(results)
    assert summary["eligible_amount_fen"] == sum(
        r["amount_fen"] or 0 for r in results if r["status"] == "eligible" and r["benefit_kind"] == "cash"
    )
