"""Property: for random profiles the vectorised bulk path and the single-profile calculator agree on every policy.

The single path is checked three ways: the fused type-directed decision, the plain interpreter and the traced
calculator result must all give the same status and amount as the numpy bulk path.
"""

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kunruyi_policy.calculator.service import assemble, compact, encode_compact, evaluate_all
from kunruyi_policy.catalog import repository
from kunruyi_policy.rules.bulk import STATUS_CODES, Columns, evaluate_bulk
from kunruyi_policy.rules.evaluation import (
    CompiledVersion,
    PolicyMeta,
    compile_version,
    decide_many,
    evaluate_version,
)
from kunruyi_policy.rules.variables import (
    DISTRICTS,
    ENTERPRISE_QUALIFICATIONS,
    INDUSTRY_CHAINS,
    PLATFORMS,
    TALENT_PROGRAMS,
    EnterpriseProfile,
    TalentProfile,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

WAN = 1_000_000
AT = date(2025, 6, 1)

money = st.one_of(st.sampled_from([0, 100 * WAN, 500 * WAN, 1000 * WAN]), st.integers(0, 50_000 * WAN))
ratio = st.one_of(st.sampled_from([0.0, 0.03, 0.035, 0.05, 0.6, 1.0]), st.floats(0, 1))
enterprises = st.builds(
    lambda **kw: EnterpriseProfile(**kw).model_dump(),
    district=st.sampled_from([*DISTRICTS, ""]),
    industry_chain=st.sampled_from([*INDUSTRY_CHAINS, ""]),
    founded_years=st.integers(0, 40),
    employees=st.one_of(st.sampled_from([0, 10, 100, 300]), st.integers(0, 5000)),
    revenue_fen=money,
    rd_expense_fen=money,
    tax_paid_fen=money,
    rd_ratio=ratio,
    high_tech_revenue_ratio=ratio,
    qualifications=st.lists(st.sampled_from(ENTERPRISE_QUALIFICATIONS), unique=True),
    new_qualifications=st.lists(st.sampled_from(ENTERPRISE_QUALIFICATIONS), unique=True),
    invention_patents=st.integers(0, 200),
    platforms=st.lists(st.sampled_from(PLATFORMS), unique=True),
    renewed_qualifications=st.lists(st.sampled_from(ENTERPRISE_QUALIFICATIONS), unique=True),
    new_platforms=st.lists(st.sampled_from(PLATFORMS), unique=True),
    new_invention_patents=st.integers(0, 30),
    total_assets_fen=money,
    taxable_income_fen=money,
    loan_interest_fen=money,
    ip_pledge_interest_fen=money,
    smart_investment_fen=money,
    green_investment_fen=money,
    first_set_sales_fen=money,
    first_set_level=st.sampled_from(["national", "provincial", ""]),
    export_value_fen=money,
    export_growth=st.floats(-1, 3),
    cross_border_sales_fen=money,
    tech_contract_fen=money,
    fixed_investment_fen=st.one_of(money, st.sampled_from([100 * WAN * 100, 1000 * WAN * 100])),
    trainees=st.integers(0, 2000),
    incubated_firms=st.integers(0, 80),
    postdocs=st.integers(0, 10),
    quality_award=st.sampled_from(["national", "provincial", "suzhou", "kunshan", ""]),
    listing_stage=st.sampled_from(["shareholding", "neeq", "filed", "listed", ""]),
)
talent = st.builds(
    lambda **kw: TalentProfile(**kw).model_dump(),
    age=st.integers(18, 70),
    education=st.sampled_from(["bachelor", "master", "doctor", "other"]),
    overseas=st.booleans(),
    title=st.sampled_from(["", "高级工程师", "工程师", "正高级工程师"]),
    skill_level=st.sampled_from(["", "高级工", "技师", "高级技师"]),
    talent_programs=st.lists(st.sampled_from(TALENT_PROGRAMS), unique=True),
    talent_class=st.sampled_from(["", "A", "B", "C", "D", "E"]),
    years_in_kunshan=st.integers(0, 20),
    arrived_in_period=st.booleans(),
    annual_salary_fen=money,
    employer_qualifications=st.lists(st.sampled_from(ENTERPRISE_QUALIFICATIONS), unique=True),
    industry_chain=st.sampled_from([*INDUSTRY_CHAINS, ""]),
)

# Shapes the demo catalog does not use, so the compiler's lazy-error, if/else-if, between and arithmetic paths
# are held to the same answers as the interpreter.
EXTRA_RULES: list[tuple[list[dict[str, Any]], Any, int | None]] = [
    (
        [
            {
                "id": "a",
                "label": "强度",
                "kind": "data",
                "rule": {">=": [{"/": [{"var": "rd_expense_fen"}, {"var": "revenue_fen"}]}, 0.03]},
            }
        ],
        {"/": [{"var": "tax_paid_fen"}, {"var": "employees"}]},
        50 * WAN,
    ),
    (
        [
            {
                "id": "a",
                "label": "或",
                "kind": "data",
                "rule": {
                    "or": [
                        {"in": ["gazelle", {"var": "qualifications"}]},
                        {
                            "and": [
                                {"<": [10, {"var": "employees"}, 300]},
                                {"!": {"in": [{"var": "district"}, ["开发区"]]}},
                            ]
                        },
                    ]
                },
            },
            {"id": "b", "label": "人工", "kind": "manual"},
        ],
        {
            "if": [
                {">": [{"var": "invention_patents"}, 50]},
                30 * WAN,
                {">": [{"var": "invention_patents"}, 5]},
                {"*": [{"var": "invention_patents"}, 2 * WAN]},
                {"-": [{"max": [{"var": "founded_years"}, 3]}, 1]},
            ]
        },
        None,
    ),
    (
        [
            {
                "id": "a",
                "label": "短路",
                "kind": "data",
                "rule": {
                    "and": [
                        {">": [{"var": "employees"}, 0]},
                        {"<": [{"/": [{"var": "revenue_fen"}, {"var": "employees"}]}, 2 * WAN]},
                    ]
                },
            },
            {"id": "b", "label": "否定", "kind": "data", "rule": {"!!": {"var": "platforms"}}},
            {
                "id": "c",
                "label": "可达的除零",
                "kind": "data",
                "rule": {
                    "and": [
                        {">=": [{"var": "founded_years"}, 0]},
                        {">": [{"/": [{"var": "rd_expense_fen"}, {"var": "revenue_fen"}]}, 0.01]},
                    ]
                },
            },
        ],
        {
            "min": [
                {"+": [{"var": "rd_expense_fen"}, 1]},
                {"-": [{"var": "revenue_fen"}, {"var": "tax_paid_fen"}]},
            ]
        },
        None,
    ),
]


def extra_versions() -> list[CompiledVersion]:
    meta = PolicyMeta("EXTRA", "额外规则", "", "", "", "奖补", "enterprise", "automatic", 0)
    return [
        compile_version(meta, i, AT, criteria, amount, cap, {})
        for i, (criteria, amount, cap) in enumerate(EXTRA_RULES)
    ]


@pytest.fixture(scope="module")
async def catalog(engine: AsyncEngine, demo_catalog_loaded: int) -> dict[str, list[CompiledVersion]]:
    async with AsyncSession(engine) as session:
        return {
            kind: [c for _, c in await repository.compiled_in_force(session, AT, beneficiary=kind)]
            for kind in ("enterprise", "talent")
        }


def interpreted(compiled: CompiledVersion) -> CompiledVersion:
    """The same version without the type-directed fast paths: the plain JSON Logic interpreter."""
    return replace(
        compiled, decision=None, amount_fast=None, criteria=[replace(c, fast=None) for c in compiled.criteria]
    )


def assert_agree(versions: list[CompiledVersion], entity_type: str, profiles: list[dict[str, Any]]) -> None:
    for profile in profiles:
        batch = decide_many(versions, profile, AT)
        for compiled, (code, _, status, amount) in zip(versions, batch, strict=True):
            single = evaluate_version(compiled, profile, AT, explain=False)
            assert (code, status, amount) == (single["policy_code"], single["status"], single["amount_fen"])
    columns = Columns(entity_type, profiles)
    for compiled in versions:
        bulk = evaluate_bulk(compiled, columns, AT)
        assert bulk.vectorised, compiled.meta.code
        plain = interpreted(compiled)
        for i, profile in enumerate(profiles):
            single = evaluate_version(compiled, profile, AT, explain=False)
            assert single == evaluate_version(plain, profile, AT, explain=False)
            traced = evaluate_version(compiled, profile, AT)
            assert (traced["status"], traced["amount_fen"]) == (single["status"], single["amount_fen"])
            assert int(bulk.status[i]) == STATUS_CODES[single["status"]], (compiled.meta.code, profile)
            assert int(bulk.amount_fen[i]) == (single["amount_fen"] or 0), (compiled.meta.code, profile)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profiles=st.lists(enterprises, min_size=1, max_size=12))
def test_bulk_and_single_agree_for_enterprises(
    catalog: dict[str, list[CompiledVersion]], profiles: list[dict[str, Any]]
) -> None:
    assert len(catalog["enterprise"]) > 70
    assert_agree(catalog["enterprise"] + extra_versions(), "enterprise", profiles)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profiles=st.lists(talent, min_size=1, max_size=12))
def test_bulk_and_single_agree_for_talent(
    catalog: dict[str, list[CompiledVersion]], profiles: list[dict[str, Any]]
) -> None:
    assert len(catalog["talent"]) > 10
    assert_agree(catalog["talent"], "talent", profiles)


def assert_reference_agrees(versions: list[CompiledVersion], profiles: list[dict[str, Any]]) -> None:
    """What a partner gets from the stored rules with a reference JSON Logic library (json-logic-qubit): the same
    pass/fail per data criterion and, rounded half-up and capped like ours, the same amount."""
    from json_logic import jsonLogic
    from kunruyi_policy.rules.amounts import round_amount
    from kunruyi_policy.rules.jsonlogic import truthy

    for profile in profiles:
        for compiled in versions:
            ours = evaluate_version(compiled, profile, AT)
            data = {**profile, "params": compiled.parameter_values_at(AT)}
            for criterion, entry in zip(compiled.criteria, ours["criteria"], strict=True):
                if criterion.kind == "data":
                    expected = "pass" if truthy(jsonLogic(criterion.rule, data)) else "fail"
                    assert entry["state"] == expected, (compiled.meta.code, criterion.id, profile)
            if ours["amount_fen"] is not None:
                reference = round_amount(jsonLogic(compiled.amount_rule, data), compiled.amount_cap_fen)
                assert ours["amount_fen"] == reference, (compiled.meta.code, profile)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(enterprise=enterprises, person=talent)
def test_partners_get_the_same_answers_from_a_reference_json_logic_library(
    catalog: dict[str, list[CompiledVersion]], enterprise: dict[str, Any], person: dict[str, Any]
) -> None:
    assert_reference_agrees(catalog["enterprise"], [enterprise])
    assert_reference_agrees(catalog["talent"], [person])


def assert_compact_agrees(
    versions: list[CompiledVersion],
    entity_type: str,
    profiles: list[dict[str, Any]],
    unknown: frozenset[str],
    history: dict[str, list[str]],
) -> None:
    """The compact answer built without traces (the default for partners and 昆e服) is the compact of the traced
    answer: statuses, amounts, near misses, what to confirm, needs_data, excluded tiers and the totals; and the
    bytes the endpoint serves (encoded from per-version fragments) are those ``JSONResponse`` gives for it."""
    policies = [(None, c) for c in versions]
    for i, profile in enumerate(profiles):
        answers = [
            compact(
                assemble(
                    entity_type,
                    profile,
                    AT,
                    unknown,
                    evaluate_all(policies, dict(profile), AT, unknown, history, traced=traced),
                )
            )
            for traced in (True, False)
        ]
        assert answers[0] == answers[1]
        entity = {"entity_type": entity_type, "entity_id": f"E{i}"} if i % 2 else None
        served = {**answers[0], "evaluation_date": AT.isoformat(), **({"entity": entity} if entity else {})}
        untraced = evaluate_all(policies, dict(profile), AT, unknown, history, traced=False)
        encoded = encode_compact(entity_type, AT, unknown, untraced, policies, entity)
        assert encoded == JSONResponse(served).body


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    profiles=st.lists(enterprises, min_size=1, max_size=6),
    unknown=st.frozensets(st.sampled_from(["revenue_fen", "rd_expense_fen", "employees", "tax_paid_fen"])),
    granted=st.lists(st.sampled_from(["2024", "2025"]), max_size=2),
)
def test_the_untraced_compact_answer_equals_the_compact_of_the_traced_one(
    catalog: dict[str, list[CompiledVersion]],
    profiles: list[dict[str, Any]],
    unknown: frozenset[str],
    granted: list[str],
) -> None:
    versions = catalog["enterprise"] + extra_versions()
    history = {v.meta.code: granted for v in versions[::7]}
    assert_compact_agrees(versions, "enterprise", profiles, unknown, history)
    assert_compact_agrees(catalog["talent"], "talent", [TalentProfile().model_dump()], frozenset(), {})
