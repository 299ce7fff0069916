"""Derived variables are derived: rd_ratio from rd_expense_fen / revenue_fen, founded_years from founded_on, in one
place (profiles/derived.py) for the calculator's profile path and the read model alike."""

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kunruyi_common.clock import local_today
from kunruyi_common.events import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_policy.calculator.service import validated_profile
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import by_code
from kunruyi_policy.profiles.handlers import (
    EnterpriseEventData,
    PersonEventData,
    enterprise_profile,
    on_enterprise,
    talent_profile,
)
from sqlalchemy.ext.asyncio import AsyncSession

USCC = "91320583MA1DERIV00"
# An R&D-heavy start-up: 1000万 revenue, 200万 R&D (20 %); KS-KJ-005 asks rd_ratio ≥ 3 % and R&D ≥ 100万.
STARTUP: dict[str, Any] = {
    "district": "开发区",
    "industry_chain": "集成电路",
    "founded_on": "2023-03-01",
    "employees": 12,
    "revenue_fen": 1000 * WAN,
    "rd_expense_fen": 200 * WAN,
    "tax_paid_fen": 5 * WAN,
    "invention_patents": 2,
}


async def post(c: Any, body: dict[str, Any]) -> Any:
    return await c.post(
        "/api/v1/policy-calculator?detail=full", json={"evaluation_date": "2025-12-31", **body}
    )


async def test_an_omitted_rd_ratio_is_derived_and_the_start_up_is_eligible(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        resp = await post(c, {"beneficiary": "enterprise", "profile": STARTUP})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["profile"]["rd_ratio"] == 0.2
    today = local_today()  # Asia/Shanghai
    assert body["profile"]["founded_years"] == today.year - 2023 - ((today.month, today.day) < (3, 1))
    assert "founded_on" not in body["profile"]
    rd = by_code(body)["KS-KJ-005"]
    assert rd["status"] == "eligible", rd
    assert rd["criteria"][0]["values"] == {"rd_ratio": 0.2}


async def test_a_ratio_given_rounded_is_accepted_and_r_and_d_above_revenue_meets_every_ratio(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        rounded = await post(c, {"beneficiary": "enterprise", "profile": {**STARTUP, "rd_ratio": 0.198}})
        above = await post(
            c,
            {
                "beneficiary": "enterprise",
                "profile": {**STARTUP, "revenue_fen": 0, "rd_expense_fen": 150 * WAN},
            },
        )
        given_alone = await post(c, {"beneficiary": "enterprise", "profile": {"rd_ratio": 0.04}})
    assert rounded.status_code == 200 and rounded.json()["profile"]["rd_ratio"] == 0.2
    assert above.status_code == 200 and above.json()["profile"]["rd_ratio"] == 1.0
    # a derived value without its figures is taken as given
    assert given_alone.status_code == 200 and given_alone.json()["profile"]["rd_ratio"] == 0.04


async def test_a_contradictory_rd_ratio_is_a_422_naming_both_fields(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        resp = await post(c, {"beneficiary": "enterprise", "profile": {**STARTUP, "rd_ratio": 0.01}})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "derived_value_mismatch"
    assert problem["field"] == "profile.rd_ratio"
    assert {e["field"] for e in problem["errors"]} == {
        "profile.rd_ratio",
        "profile.rd_expense_fen",
        "profile.revenue_fen",
    }


async def test_a_contradictory_founded_years_is_a_422_and_a_bad_date_names_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        years = await post(c, {"beneficiary": "enterprise", "profile": {**STARTUP, "founded_years": 40}})
        bad = await post(c, {"beneficiary": "enterprise", "profile": {**STARTUP, "founded_on": "去年"}})
    assert years.status_code == 422 and years.json()["code"] == "derived_value_mismatch"
    assert {e["field"] for e in years.json()["errors"]} == {"profile.founded_years", "profile.founded_on"}
    assert bad.status_code == 422 and bad.json()["field"] == "profile.founded_on"


def event(data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(
        source="talent",
        type="kunruyi.talent.enterprise.registered",
        subject=USCC,
        data={"uscc": USCC, "name": "昆山研发初创有限公司", **data},
    )


async def test_the_same_company_gets_the_same_answer_by_profile_and_by_id(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    # svc-talent sends its own (uncapped, differently rounded) ratio; the read model derives it the same way
    await on_enterprise(session, event({**STARTUP, "rd_ratio": 0.2000001}))
    async with client(staff("officer")) as c:
        by_id = await post(c, {"entity_type": "enterprise", "entity_id": USCC})
        by_profile = await post(c, {"beneficiary": "enterprise", "profile": STARTUP})
    assert by_id.status_code == 200 and by_profile.status_code == 200, (by_id.text, by_profile.text)
    assert by_id.json()["profile"] == by_profile.json()["profile"]
    answers = [
        {r["policy_code"]: (r["status"], r["amount_fen"]) for r in resp.json()["results"]}
        for resp in (by_id, by_profile)
    ]
    assert answers[0] == answers[1]
    assert answers[0]["KS-KJ-005"][0] == "eligible"


figures = st.fixed_dictionaries(
    {
        "revenue_fen": st.integers(0, 10**12),
        "rd_expense_fen": st.integers(0, 10**12),
        "founded_on": st.dates(date(1900, 1, 1), local_today()),
        "employees": st.integers(0, 100_000),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(figures)
def test_the_profile_path_and_the_read_model_derive_identical_variables(values: dict[str, Any]) -> None:
    by_profile = validated_profile("enterprise", {**values, "founded_on": values["founded_on"].isoformat()})
    by_event = enterprise_profile(EnterpriseEventData.model_validate({"uscc": USCC, **values}))
    assert by_profile == by_event
    revenue, rd = values["revenue_fen"], values["rd_expense_fen"]
    assert by_profile["rd_ratio"] == (min(rd / revenue, 1.0) if revenue else (1.0 if rd else 0.0))


@settings(max_examples=100, deadline=None)
@given(st.dates(date(1910, 1, 1), local_today()), st.integers(0, 120))
def test_age_is_derived_from_a_birth_date_the_same_way_on_both_paths(born: date, supplied_age: int) -> None:
    today = local_today()
    expected = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    by_event = talent_profile(
        PersonEventData.model_validate({"talent_id": "t-1", "birth_date": born, "age": supplied_age})
    )
    assert by_event["age"] == expected  # the read model keeps the computed value over a contradicting one
    by_profile = validated_profile("talent", {"birth_date": born.isoformat()})
    assert by_profile == by_event
