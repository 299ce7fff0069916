"""The calculator: statuses, amounts with caps, traces with parameter references, near-misses, dates, errors."""

from kunruyi_launcher.testing import partner, staff
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE as ENTERPRISE
from kunruyi_policy.demo.samples import by_code
from kunruyi_policy.demo.samples import new_policy_body as new_policy


async def calculate(c, profile, date=None, **extra):  # type: ignore[no-untyped-def]
    body = {"profile": profile, "beneficiary": extra.pop("beneficiary", "enterprise"), **extra}
    if date:
        body["evaluation_date"] = date
    response = await c.post("/api/v1/policy-calculator?detail=full", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_policy_for_the_beneficiary_comes_back_sorted_by_amount_with_versions(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        body = await calculate(c, ENTERPRISE, "2025-06-01")
    results = body["results"]
    assert results and all(r["beneficiary"] == "enterprise" for r in results)
    amounts = [r["amount_fen"] or 0 for r in results]
    assert amounts == sorted(amounts, reverse=True)
    assert {v["policy_code"] for v in body["versions_used"]} == {r["policy_code"] for r in results}
    found = by_code(body)
    assert found["KS-KJ-001"]["status"] == "eligible"
    assert found["KS-GX-002"]["status"] == "ineligible"
    # a policy with a manual condition: data criteria pass, a person must confirm
    assert (
        found["KS-SB-101"]["status"] == "needs_confirmation" and found["KS-SB-101"]["amount_fen"] == 100 * WAN
    )
    # the sample gives no 智能化改造 investment: that item needs data rather than reading it as 0
    assert found["KS-SB-011"]["status"] == "needs_data" and found["KS-SB-011"]["missing_data"] == [
        "smart_investment_fen"
    ]


async def test_amounts_follow_the_formula_and_the_cap(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        small = by_code(await calculate(c, ENTERPRISE, "2025-06-01"))["KS-KJ-005"]
        big = by_code(
            await calculate(
                c,
                {**ENTERPRISE, "rd_expense_fen": 10_000 * WAN, "revenue_fen": 100_000 * WAN, "rd_ratio": 0.1},
                "2025-06-01",
            )
        )["KS-KJ-005"]
    assert small["amount_fen"] == 15 * WAN  # 300万 × 5 %
    # 10000万 × 5 % = 500万, capped at 200万; the 研发投入 stacking group's 200万 a year then goes to the larger
    # 研发投入增量奖励 first, so this one is left out with its capped amount named
    assert big["amount_cap_fen"] == 200 * WAN
    assert big["status"] == "excluded" and big["stacking"]["before_cap_fen"] == 200 * WAN, big
    assert big["stacking"]["capped_by"] == "rd_support"


async def test_dated_parameters_give_different_answers_before_and_after_a_change(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        before = by_code(await calculate(c, ENTERPRISE, "2025-12-31"))
        after = by_code(await calculate(c, ENTERPRISE, "2026-01-01"))
        award_2024 = by_code(await calculate(c, ENTERPRISE, "2024-06-01"))["KS-KJ-001"]
    rd_before, rd_after = before["KS-KJ-005"], after["KS-KJ-005"]
    assert rd_before["status"] == "eligible"
    ratio = rd_before["criteria"][0]
    assert ratio["values"] == {"rd_ratio": 0.032}
    assert ratio["parameters"]["min_rd_ratio"] == {
        "value": 0.03,
        "effective_from": "2022-01-01",
        "reference": "昆科规〔2022〕5号",
    }
    assert rd_after["status"] == "ineligible"
    assert rd_after["criteria"][0]["parameters"]["min_rd_ratio"]["reference"] == "昆科规〔2025〕2号"
    # the award parameter rose from 20万 to 30万 on 2025-01-01
    assert award_2024["amount_fen"] == 20 * WAN and before["KS-KJ-001"]["amount_fen"] == 30 * WAN


async def test_near_miss_says_what_is_missing_and_by_how_much(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        body = await calculate(
            c, {**ENTERPRISE, "revenue_fen": 12_000 * WAN, "rd_ratio": 0.025}, "2025-06-01"
        )
        gazelle = by_code(await calculate(c, {**ENTERPRISE, "new_qualifications": []}, "2025-06-01"))[
            "KS-KJ-001"
        ]
    rd = by_code(body)["KS-KJ-005"]
    assert rd["status"] == "ineligible"
    assert rd["almost"]["criterion_id"] == "rd_ratio"
    assert rd["almost"]["missing"] == [
        {"variable": "rd_ratio", "actual": 0.025, "operator": ">=", "required": 0.03, "gap": 0.005}
    ]
    assert rd["almost"]["potential_amount_fen"] == 15 * WAN
    assert "KS-KJ-005" in {r["policy_code"] for r in body["almost"]}
    assert gazelle["almost"]["missing"] == [{"variable": "new_qualifications", "missing": "high_tech"}]
    # KS-KJ-002 (重新认定) is for a re-certification dated in the period, not for holding 高企
    renewal = by_code(body)["KS-KJ-002"]
    assert renewal["status"] == "ineligible" and renewal["almost"]["missing"] == [
        {"variable": "renewed_qualifications", "missing": "high_tech"}
    ]
    # two failing data criteria is not "almost"
    two = by_code(body)["KS-FG-001"]
    assert two["status"] == "ineligible" and two["almost"] is None


async def test_a_division_by_zero_marks_the_criterion_error_not_a_500(client) -> None:  # type: ignore[no-untyped-def]
    rules = {
        "criteria": [
            {
                "id": "intensity",
                "label": "研发强度不低于3%",
                "kind": "data",
                "rule": {">=": [{"/": [{"var": "rd_expense_fen"}, {"var": "revenue_fen"}]}, 0.03]},
            }
        ],
        "amount": 10 * WAN,
    }
    async with client(staff("officer", department="科技局")) as c:
        assert (await c.post("/api/v1/policies", json=new_policy("KS-T-DIV"))).status_code == 201
        assert (await c.put("/api/v1/policies/KS-T-DIV/draft", json=rules)).status_code == 200
        assert (
            await c.post("/api/v1/policies/KS-T-DIV/publish", json={"effective_from": "2024-01-01"})
        ).status_code == 200
        zero = await calculate(
            c, {**ENTERPRISE, "revenue_fen": 0, "rd_ratio": 1}, "2025-06-01", policy_codes=["KS-T-DIV"]
        )
        fine = await calculate(c, ENTERPRISE, "2025-06-01", policy_codes=["KS-T-DIV"])
    result = zero["results"][0]
    assert result["status"] == "error" and result["amount_fen"] is None
    assert result["criteria"][0]["state"] == "error" and result["criteria"][0]["reason"] == "除数为零"
    assert fine["results"][0]["status"] == "eligible"


async def test_bad_profiles_get_422_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        for field, value in (
            ("rd_ratio", 1.5),
            ("revenue_fen", -1),
            ("employees", "many"),
            ("qualifications", "x"),
            ("unknown_variable", 1),
            # JSON true and "5" are not numbers, even though a lax parser would coerce them
            ("employees", True),
            ("rd_ratio", "0.03"),
            # a value outside the published dictionary would silently fail every rule that looks for the code
            ("district", "火星"),
        ):
            response = await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={"profile": {**ENTERPRISE, field: value}, "beneficiary": "enterprise"},
            )
            assert response.status_code == 422, field
            assert response.json()["field"] == f"profile.{field}"
        typo = await c.post(
            "/api/v1/policy-calculator?detail=full",
            json={
                "profile": {**ENTERPRISE, "qualifications": ["high_tech", "hightech"]},
                "beneficiary": "enterprise",
            },
        )
        not_boolean = await c.post(
            "/api/v1/policy-calculator?detail=full",
            json={"profile": {"overseas": "yes"}, "beneficiary": "talent"},
        )
        talent = await c.post(
            "/api/v1/policy-calculator?detail=full", json={"profile": {"age": -3}, "beneficiary": "talent"}
        )
        nothing = await c.post("/api/v1/policy-calculator?detail=full", json={})
    async with client(partner("policy:read")) as c:
        unknown = await c.post(
            "/api/v1/policy-calculator?detail=full", json={"entity_type": "enterprise", "entity_id": "X"}
        )
    assert talent.status_code == 422 and talent.json()["field"] == "profile.age"
    assert typo.status_code == 422 and typo.json()["field"] == "profile.qualifications.1"
    assert "high_tech" in typo.json()["errors"][0]["message"]  # the message lists the accepted codes
    assert not_boolean.status_code == 422 and not_boolean.json()["field"] == "profile.overseas"
    assert nothing.status_code == 422 and nothing.json()["code"] == "profile_required"
    assert unknown.status_code == 404 and unknown.json()["code"] == "profile_not_found"


async def test_talent_profile_gets_talent_policies(client) -> None:  # type: ignore[no-untyped-def]
    profile = {
        "age": 32,
        "education": "doctor",
        "overseas": True,
        "talent_class": "B",
        "arrival_date": "2025-03-01",
        "annual_salary_fen": 40 * WAN,
        "skill_level": "",
        "talent_programs": ["shuangchuang"],
    }
    async with client() as c:
        body = await calculate(c, profile, "2025-06-01", beneficiary="talent")
        # 人才安居补贴 is for the year of arrival: the same talent a year later gets none
        next_year = by_code(await calculate(c, profile, "2026-06-01", beneficiary="talent"))
    found = by_code(body)
    assert next_year["KS-ZJ-001"]["status"] == "ineligible"
    assert next_year["KS-ZJ-001"]["almost"]["missing"][0]["variable"] == "arrived_in_period"
    async with client() as c:
        # the program's name as svc-talent and people write it reads as the code the rules use
        named = await calculate(
            c, {**profile, "talent_programs": ["昆山双创人才"]}, "2025-06-01", beneficiary="talent"
        )
    assert named["profile"]["talent_programs"] == ["shuangchuang"]
    assert by_code(named)["KS-RC-001"]["status"] == found["KS-RC-001"]["status"]
    assert found["KS-ZJ-001"]["amount_fen"] == 60 * WAN
    assert found["KS-RC-001"]["status"] == "eligible"
    assert found["KS-RC-010"]["status"] == "needs_confirmation"
    assert all(r["beneficiary"] == "talent" for r in body["results"])


async def test_the_variable_dictionary_is_published(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        items = (await c.get("/api/v1/policy-variables")).json()["items"]
    names = {(v["entity_type"], v["name"]) for v in items}
    assert {
        ("enterprise", "rd_ratio"),
        ("enterprise", "qualifications"),
        ("talent", "talent_class"),
        ("talent", "annual_salary_fen"),
    } <= names
    rd = next(v for v in items if v["name"] == "rd_ratio")
    assert rd["type"] == "number" and rd["maximum"] == 1 and rd["label"]
    assert rd["description"].startswith("由 rd_expense_fen / revenue_fen 计算")
