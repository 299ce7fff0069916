"""Flow 2: the policy calculator.

A profile sent as is (anonymously, the calculator is public) comes back with every policy: eligible,
ineligible and needs_confirmation, the estimated amount, a reason per criterion, and "almost" (what is missing
and by how much). The same enterprise registered by a partner through svc-talent, asked for by USCC once
svc-policy's read model has it, gives the same answer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(900)

YEAR = date.today().year
PROFILE = {
    "district": "开发区",
    "industry_chain": "集成电路",
    "founded_years": YEAR - 2018,
    "employees": 80,
    "revenue_fen": 100_000_000,
    "rd_expense_fen": 8_000_000,
    "tax_paid_fen": 3_000_000,
    "rd_ratio": 0.08,
    "high_tech_revenue_ratio": 0.7,
    "qualifications": ["high_tech", "tech_sme"],
    "new_qualifications": ["tech_sme"],
    "invention_patents": 4,
    "platforms": ["engineering_center"],
    # the certificates' dates, as svc-talent's events carry them: 高企 held since two years ago, 科小 new this year
    "qualification_dates": {
        "high_tech": {"granted_on": f"{YEAR - 2}-11-01"},
        "tech_sme": {"granted_on": f"{YEAR}-04-01"},
    },
}


def _by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["policy_code"]: r for r in body["results"]}


def _decision(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        r["policy_code"]: (
            r["status"],
            r["amount_fen"],
            tuple((c["id"], c["state"]) for c in r["criteria"]),
            repr(r.get("almost")),
        )
        for r in body["results"]
    }


def test_the_calculator_explains_every_policy_and_agrees_by_id(driver: Any) -> None:
    resp = httpx.post(
        f"{driver.url}/api/v1/policy-calculator?detail=full",
        json={"profile": PROFILE, "beneficiary": "enterprise"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    results = _by_code(body)
    statuses = {r["status"] for r in body["results"]}
    assert {"eligible", "ineligible", "needs_confirmation"} <= statuses

    # eligible, with the amount and a passing reason per criterion (and the parameter's legal reference)
    jobs = results["KS-RS-003"]  # 小微企业稳岗补贴: 80 employees
    assert jobs["status"] == "eligible" and jobs["amount_fen"] > 0
    assert jobs["criteria"] and all(c["state"] == "pass" and c["label"] for c in jobs["criteria"])
    # 高新技术企业重新认定奖励 is for a re-certification dated this year: holding 高企 since two years ago is not one
    renewal = results["KS-KJ-002"]
    assert renewal["status"] == "ineligible"
    assert {c["id"]: c["state"] for c in renewal["criteria"]} == {"renewed_high_tech": "fail"}
    # 工程技术研究中心奖励 is for a centre recognised this year; the profile holds one without a date
    assert results["KS-KJ-007"]["status"] == "ineligible"

    # ineligible, with the failing criterion and the values it read
    first_time = results["KS-KJ-001"]  # 高新技术企业认定奖励 needs the recognition to be new this year
    assert first_time["status"] == "ineligible" and not first_time["amount_fen"]
    failing = [c for c in first_time["criteria"] if c["state"] == "fail"]
    assert failing and failing[0]["values"] == {"new_qualifications": ["tech_sme"]}

    # needs_confirmation: the data criteria pass, a manual one (the project itself) waits for a person
    manual = [r for r in body["results"] if r["status"] == "needs_confirmation"]
    assert manual
    assert all(
        any(c["state"] == "manual" for c in r["criteria"])
        and all(c["state"] in ("pass", "manual") for c in r["criteria"])
        for r in manual
    )

    # almost: exactly one data criterion fails, saying what is missing and by how much
    rd = results["KS-KJ-005"]  # 企业研发费用补助: R&D spend ≥ 100万, the profile has 8万
    assert rd["status"] == "ineligible"
    assert rd["almost"]["missing"] == [
        {
            "variable": "rd_expense_fen",
            "actual": 8_000_000,
            "operator": ">=",
            "required": 100_000_000,
            "gap": 92_000_000,
        }
    ]
    assert rd["almost"]["potential_amount_fen"] > 0
    assert any(a["policy_code"] == "KS-KJ-005" for a in body["almost"])
    # needs_data: 知识产权奖励 counts patents granted this year, which the profile does not give (not read as 0)
    patents = results["KS-SJ-001"]
    assert patents["status"] == "needs_data" and patents["missing_data"] == ["new_invention_patents"]
    assert body["summary"]["eligible"] == sum(r["status"] == "eligible" for r in body["results"])

    # The same enterprise through svc-talent (a partner registers it, its figures and qualifications) …
    uscc = driver.register_enterprise(
        name="昆山计算器验证电子有限公司",
        district=PROFILE["district"],
        industry_chain=PROFILE["industry_chain"],
        founded_on="2018-06-01",
        employees=PROFILE["employees"],
        invention_patents=PROFILE["invention_patents"],
    )
    steps = [
        (
            "PATCH",
            f"/api/v1/enterprises/{uscc}",
            {"platforms": PROFILE["platforms"]},
        ),
        (
            "PUT",
            f"/api/v1/enterprises/{uscc}/figures/{YEAR - 1}",
            {
                "revenue_fen": PROFILE["revenue_fen"],
                "rd_expense_fen": PROFILE["rd_expense_fen"],
                "tax_paid_fen": PROFILE["tax_paid_fen"],
                "high_tech_revenue_ratio": PROFILE["high_tech_revenue_ratio"],
            },
        ),
        (
            "POST",
            f"/api/v1/enterprises/{uscc}/qualifications",
            {"kind": "high_tech", "level": "national", "granted_on": f"{YEAR - 2}-11-01"},
        ),
        (
            "POST",
            f"/api/v1/enterprises/{uscc}/qualifications",
            {"kind": "tech_sme", "level": "provincial", "granted_on": f"{YEAR}-04-01"},
        ),
    ]
    for method, path, payload in steps:
        step = driver.partner.request(method, path, json=payload)
        assert step.status_code in (200, 201), f"{method} {path}: {step.text}"

    # … asked for by id (as a partner) once svc-policy's read model caught up: the same decisions.
    expected = _decision(body)

    def same_by_id() -> dict[str, Any] | None:
        by_id = driver.partner.post(
            "/api/v1/policy-calculator?detail=full", json={"entity_type": "enterprise", "entity_id": uscc}
        )
        assert by_id.status_code == 200, by_id.text
        answer: dict[str, Any] = by_id.json()
        return answer if _decision(answer) == expected else None

    answer = driver.eventually(same_by_id, f"the calculator by id for {uscc} to match the profile")
    assert answer["entity"] == {"entity_type": "enterprise", "entity_id": uscc}
    assert answer["summary"] == body["summary"]
